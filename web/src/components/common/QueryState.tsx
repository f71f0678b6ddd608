import type { ReactNode } from "react";
import { errorMessage } from "../../lib/api";

/** Loading and error states of a query, in one place; renders children once the data is there. */
export function QueryState({
  isPending,
  error,
  what,
  children,
}: {
  isPending: boolean;
  error: unknown;
  what: string;
  children: () => ReactNode;
}) {
  if (error) {
    return (
      <p className="error" role="alert">
        Could not load {what}: {errorMessage(error)}
      </p>
    );
  }
  if (isPending) return <p className="muted">Loading {what}…</p>;
  return <>{children()}</>;
}

/** A route parameter as a positive integer id, or null. */
export function parseId(value: string | undefined): number | null {
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? id : null;
}
