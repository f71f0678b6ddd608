// The problems of an API error (`error.details[]`, each with a `loc`) for people: next to the field they name,
// or as a list with their location in a model document (`components[3].parameters.k: ...`).

import { errorMessage } from "./api";

export interface Problem {
  /** Where: a field (`name`), a request part (`body.name`, `header.content-type`) or a place in a document. */
  loc: string;
  message: string;
}

function detailsOf(error: unknown): unknown[] {
  const inner = error && typeof error === "object" ? (error as { error?: unknown }).error : undefined;
  const details = inner && typeof inner === "object" ? (inner as { details?: unknown }).details : undefined;
  return Array.isArray(details) ? details : [];
}

/** A detail's text: its `message` (or `msg`), else the rest of its fields (e.g. a conflict's `existing_id`). */
function describe(detail: Record<string, unknown>): string {
  for (const key of ["message", "msg"]) {
    if (typeof detail[key] === "string" && detail[key]) return detail[key] as string;
  }
  const rest = Object.entries(detail).filter(([key]) => !["loc", "type", "message", "msg"].includes(key));
  return rest.map(([key, value]) => `${key} ${typeof value === "string" ? value : JSON.stringify(value)}`).join(", ");
}

/** Every problem of an API error (the error itself or an ApiError), in the API's order. */
export function problemsOf(error: unknown): Problem[] {
  return detailsOf(error).map((detail) => {
    if (!detail || typeof detail !== "object") return { loc: "", message: String(detail) };
    const record = detail as Record<string, unknown>;
    const loc = Array.isArray(record.loc) ? record.loc.join(".") : typeof record.loc === "string" ? record.loc : "";
    return { loc, message: describe(record) };
  });
}

/** The field a location names in a request body: `body.name` and `name` are both `name`. */
export function fieldOf(loc: string): string {
  return loc.startsWith("body.") ? loc.slice("body.".length) : loc;
}

/** What the API says about `field`: each problem that names it, in its own words, or in the error's message when it
 * has none of its own (a 409's `{"loc": "name", "existing_id": 4}` reads "a project named 'x' already exists"). */
export function fieldProblems(error: unknown, field: string): string[] {
  return detailsOf(error)
    .filter((d): d is Record<string, unknown> => !!d && typeof d === "object")
    .filter((d) => fieldOf(Array.isArray(d.loc) ? d.loc.join(".") : String(d.loc ?? "")) === field)
    .map((d) => (typeof d.message === "string" && d.message) || (typeof d.msg === "string" && d.msg) || errorMessage(error));
}

/** Whether some problem names one of `fields` (the rest of the error is then shown with the form). */
export function namesField(error: unknown, fields: readonly string[]): boolean {
  return problemsOf(error).some((p) => fields.includes(fieldOf(p.loc)));
}

/** One problem as a line: `components[3].parameters.k: must be > 0`; the whole document when `loc` is empty. */
export function formatProblem(problem: Problem): string {
  return problem.loc ? `${problem.loc}: ${problem.message}` : problem.message;
}

/** The content type to send a model document file with: YAML or JSON, by its name, then by its browser type. */
export function documentContentType(fileName: string, browserType = ""): "application/yaml" | "application/json" | null {
  const name = fileName.toLowerCase();
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return "application/yaml";
  if (name.endsWith(".json")) return "application/json";
  if (/yaml/.test(browserType)) return "application/yaml";
  if (/json/.test(browserType)) return "application/json";
  return null;
}
