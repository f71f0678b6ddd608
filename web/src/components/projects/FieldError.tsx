import { fieldProblems } from "../../lib/problems";

/** What the API said about one field, under it (`id` ties it to the input with aria-describedby). */
export function FieldError({ error, field, id }: { error: unknown; field: string; id: string }) {
  const problems = fieldProblems(error, field);
  if (!problems.length) return null;
  return (
    <span className="field-error error" id={id} role="alert" data-testid={`field-error-${field}`}>
      {problems.join("; ")}
    </span>
  );
}
