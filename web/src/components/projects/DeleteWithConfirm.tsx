import { type QueryClient, useMutation } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { isMeKey } from "../auth/session";
import { ConfirmDialog } from "../common/ConfirmDialog";

/** A delete button that first asks, in a dialog saying what goes with it (`children`, given whether it is open so
 * counts are fetched only then). */
export function DeleteWithConfirm({
  label,
  title,
  remove,
  onDeleted,
  children,
}: {
  label: string;
  title: string;
  remove: () => Promise<unknown>;
  onDeleted: () => void | Promise<void>;
  children: (open: boolean) => ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const mutation = useMutation({ mutationFn: remove, onSuccess: onDeleted });
  return (
    <>
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        {label}
      </button>
      <ConfirmDialog
        open={open}
        title={title}
        confirmLabel={label}
        pending={mutation.isPending}
        error={mutation.error}
        onConfirm={() => mutation.mutate()}
        onCancel={() => {
          setOpen(false);
          mutation.reset();
        }}
      >
        {children(open)}
      </ConfirmDialog>
    </>
  );
}

/** The generated id of a query (`[{ _id, ...options }]`), e.g. "listMachineModels". */
function queryId(key: readonly unknown[]): unknown {
  const first = key[0];
  return typeof first === "object" && first !== null ? (first as { _id?: unknown })._id : undefined;
}

/** After a delete, before leaving the page: drop the cached lists that name the deleted object (`lists`, ids of
 * generated queries), so the next page does not ask about it again (e.g. the project page's runs of each model
 * it lists), and mark every other answer stale without asking again now (the deleted object's page stays mounted
 * until the navigation commits, and its queries would answer 404); who-am-I (its projects) is asked at once. */
export async function afterDelete(queryClient: QueryClient, lists: string[]): Promise<void> {
  queryClient.removeQueries({ predicate: (query) => lists.includes(String(queryId(query.queryKey))) });
  await queryClient.invalidateQueries({ refetchType: "none" });
  await queryClient.invalidateQueries({ predicate: (query) => isMeKey(query.queryKey) });
}
