import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { errorMessage } from "../../lib/api";
import { namesField } from "../../lib/problems";
import { FieldError } from "./FieldError";

export interface Details {
  name: string;
  description: string;
}

/** A name and a description, sent with `save`; the API's problems appear under the field they name (a 409
 * duplicate name, a 422's `body.name`), anything else under the form. */
export function DetailsForm({
  label,
  initial,
  submitLabel,
  save,
  onSaved,
  onCancel,
}: {
  label: string;
  initial: Details;
  submitLabel: string;
  save: (details: Details) => Promise<unknown>;
  onSaved: (result: unknown) => void | Promise<void>;
  onCancel?: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(initial.name);
  const [description, setDescription] = useState(initial.description);
  const mutation = useMutation({ mutationFn: save, onSuccess: onSaved });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    mutation.mutate({ name: name.trim(), description });
  };
  const error = mutation.error;
  return (
    <form className="panel details-form" aria-label={label} onSubmit={submit}>
      <label className="stacked">
        Name
        <input
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={namesField(error, ["name"]) || undefined}
          aria-describedby={`${id}-name`}
        />
        <FieldError error={error} field="name" id={`${id}-name`} />
      </label>
      <label className="stacked">
        Description
        <textarea
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={namesField(error, ["description"]) || undefined}
          aria-describedby={`${id}-description`}
        />
        <FieldError error={error} field="description" id={`${id}-description`} />
      </label>
      <div className="inline">
        <button type="submit" className="primary" disabled={mutation.isPending}>
          {submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {error && !namesField(error, ["name", "description"]) ? (
        <p className="error" role="alert">
          {errorMessage(error)}
        </p>
      ) : null}
    </form>
  );
}
