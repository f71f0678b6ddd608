import { describe, expect, it } from "vitest";
import type { MeRead } from "../../client/types.gen";
import { atLeast, isMeKey, mayIn, needsSignIn, roleIn, safeNext } from "./session";

describe("needsSignIn", () => {
  it("is true for the API's 401 codes only", () => {
    expect(needsSignIn({ error: { code: "unauthorized", message: "sign in first" } })).toBe(true);
    expect(needsSignIn({ error: { code: "invalid_token", message: "expired" } })).toBe(true);
    expect(needsSignIn({ error: { code: "forbidden", message: "needs operator" } })).toBe(false);
    expect(needsSignIn({ error: { code: "invalid_credentials" } })).toBe(false);
    expect(needsSignIn(new Error("network"))).toBe(false);
    expect(needsSignIn(undefined)).toBe(false);
  });
});

describe("roles", () => {
  const me: MeRead = {
    mode: "multi-user",
    user: null,
    projects: [
      { project_id: 1, name: "a", role: "operator" },
      { project_id: 2, name: "b", role: "admin" },
    ],
  };
  it("finds the caller's role in a project", () => {
    expect(roleIn(me, 1)).toBe("operator");
    expect(roleIn(me, 3)).toBeNull();
    expect(roleIn(undefined, 1)).toBeNull();
  });
  it("orders observer < operator < engineer < admin", () => {
    expect(atLeast("operator", "observer")).toBe(true);
    expect(atLeast("operator", "operator")).toBe(true);
    expect(atLeast("operator", "engineer")).toBe(false);
    expect(atLeast("admin", "engineer")).toBe(true);
    expect(atLeast(null, "observer")).toBe(false);
  });
  it("lets the local user do everything and a member what the role allows", () => {
    expect(mayIn(me, 1, "operator")).toBe(true);
    expect(mayIn(me, 1, "engineer")).toBe(false);
    expect(mayIn(me, 2, "admin")).toBe(true);
    expect(mayIn(me, 3, "observer")).toBe(false);
    expect(mayIn({ mode: "local", user: null, projects: [] }, 7, "admin")).toBe(true);
    expect(mayIn(undefined, 1, "observer")).toBe(false);
  });
});

describe("safeNext", () => {
  it("keeps same-origin paths and refuses everything else", () => {
    expect(safeNext("/runs/3?x=1")).toBe("/runs/3?x=1");
    expect(safeNext(null)).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("/sign-in?next=/")).toBe("/");
  });
});

describe("isMeKey", () => {
  it("recognises the generated key of GET /auth/me only", () => {
    expect(isMeKey([{ _id: "me", baseUrl: "" }])).toBe(true);
    expect(isMeKey([{ _id: "listProjects", baseUrl: "" }])).toBe(false);
    expect(isMeKey([])).toBe(false);
  });
});
