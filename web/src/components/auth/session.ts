// Who is signed in, and what they may do: one query of GET /auth/me shared by every page.

import { useQuery } from "@tanstack/react-query";
import { meOptions } from "../../client/@tanstack/react-query.gen";
import type { MeRead } from "../../client/types.gen";

export const ROLES = ["observer", "operator", "engineer", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What each project role adds, as the API enforces it (shown next to role pickers). */
export const ROLE_HELP: Record<Role, string> = {
  observer: "reads models, runs and telemetry",
  operator: "also starts and stops runs, forces ports, injects faults, runs scenarios",
  engineer: "also edits models, endpoints, bindings and scenarios",
  admin: "also manages members, roles and PLC-write permissions",
};

// The API's 401 codes: no credentials at all, or a session/token that expired, was revoked or signed out.
const SIGN_IN_CODES = new Set(["unauthorized", "invalid_token"]);

/** Whether an API error means "sign in (again)". */
export function needsSignIn(error: unknown): boolean {
  const inner = error && typeof error === "object" ? (error as { error?: { code?: unknown } }).error : undefined;
  return typeof inner?.code === "string" && SIGN_IN_CODES.has(inner.code);
}

/** Whether a query key is the GET /auth/me query's (generated keys are `[{ _id, ...options }]`). */
export function isMeKey(key: readonly unknown[]): boolean {
  const first = key[0];
  return typeof first === "object" && first !== null && (first as { _id?: unknown })._id === "me";
}

/** The caller (shared by every page). Fetched once; a page mounting later reads the answer instead of asking
 * again, so a 401 is not re-asked by every page (that would reset it to pending and re-mount the page in a
 * loop); sign-in clears the cache and any later 401 invalidates it (main.tsx). */
export function useMe() {
  return useQuery({ ...meOptions(), retry: false, retryOnMount: false, refetchOnMount: false, staleTime: 60_000 });
}

/** The caller's role in a project (`null`: not a member, or not known yet). */
export function roleIn(me: MeRead | undefined, projectId: number): Role | null {
  return me?.projects.find((p) => p.project_id === projectId)?.role ?? null;
}

export function atLeast(role: Role | null, needed: Role): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Whether the caller may do what `needed` allows in a project: in local mode everyone may do everything. */
export function mayIn(me: MeRead | undefined, projectId: number, needed: Role): boolean {
  if (!me) return false;
  return me.mode === "local" || atLeast(roleIn(me, projectId), needed);
}

/** A path to come back to after signing in: same-origin paths only, never the sign-in page itself. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/sign-in")) return "/";
  return next;
}
