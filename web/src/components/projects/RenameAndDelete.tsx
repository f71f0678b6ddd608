import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { useNavigate } from "react-router";
import { DeleteWithConfirm, afterDelete } from "./DeleteWithConfirm";
import { type Details, DetailsForm } from "./DetailsForm";

/** "Rename or describe" and "Delete … after confirming" for a project or a model: one shape, two owners. */
export function RenameAndDelete({
  what,
  initial,
  save,
  remove,
  deletedLists,
  afterDeleteGoTo,
  consequences,
}: {
  what: "project" | "model";
  initial: Details;
  save: (details: Details) => Promise<unknown>;
  remove: () => Promise<unknown>;
  /** the generated list queries that name the deleted object, dropped before leaving the page */
  deletedLists: string[];
  afterDeleteGoTo: string;
  /** what goes with it, shown in the confirmation (``open``: the dialog is showing, so counts may be fetched) */
  consequences: (open: boolean) => ReactNode;
}) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  return (
    <>
      {editing ? (
        <DetailsForm
          label={`${what} details`}
          initial={initial}
          submitLabel="Save"
          save={save}
          onSaved={async () => {
            setEditing(false);
            await queryClient.invalidateQueries();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <button type="button" onClick={() => setEditing(true)}>
          Rename or describe
        </button>
      )}
      <DeleteWithConfirm
        label={`Delete ${what}`}
        title={`Delete the ${what} ${initial.name}?`}
        remove={remove}
        onDeleted={async () => {
          await afterDelete(queryClient, deletedLists);
          navigate(afterDeleteGoTo);
        }}
      >
        {consequences}
      </DeleteWithConfirm>
    </>
  );
}
