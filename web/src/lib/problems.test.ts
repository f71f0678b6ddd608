import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { documentContentType, fieldProblems, formatProblem, namesField, problemsOf } from "./problems";

const refused = {
  error: {
    code: "invalid_document",
    message: "the document has 2 problems",
    details: [
      { loc: "components[3].parameters.k", message: "must be a number" },
      { loc: "", message: "1 more problem(s) not shown" },
    ],
  },
};

describe("problemsOf", () => {
  it("reads the error shape and an ApiError alike, in order", () => {
    expect(problemsOf(refused)).toEqual([
      { loc: "components[3].parameters.k", message: "must be a number" },
      { loc: "", message: "1 more problem(s) not shown" },
    ]);
    expect(problemsOf(new ApiError(refused))).toEqual(problemsOf(refused));
  });

  it("describes a detail without a message by its other fields", () => {
    const conflict = { error: { code: "duplicate_name", message: "exists", details: [{ loc: "name", existing_id: 4 }] } };
    expect(problemsOf(conflict)).toEqual([{ loc: "name", message: "existing_id 4" }]);
  });

  it("joins list locations and tolerates errors without details", () => {
    expect(problemsOf({ error: { details: [{ loc: ["body", "name"], msg: "too short" }] } })).toEqual([
      { loc: "body.name", message: "too short" },
    ]);
    expect(problemsOf(new Error("network"))).toEqual([]);
    expect(problemsOf(undefined)).toEqual([]);
  });
});

describe("fieldProblems", () => {
  const validation = {
    error: {
      details: [
        { loc: "body.name", message: "String should have at least 1 character" },
        { loc: "body.dt", message: "Input should be greater than 0" },
      ],
    },
  };

  it("finds the problems of one field, with or without the body prefix", () => {
    expect(fieldProblems(validation, "name")).toEqual(["String should have at least 1 character"]);
    expect(fieldProblems(validation, "description")).toEqual([]);
    const conflict = { error: { message: "a project named 'x' already exists (id 4)", details: [{ loc: "name", existing_id: 4 }] } };
    expect(fieldProblems(conflict, "name")).toEqual(["a project named 'x' already exists (id 4)"]);
    expect(fieldProblems(new ApiError(conflict), "name")).toEqual(["a project named 'x' already exists (id 4)"]);
    expect(namesField(validation, ["dt"])).toBe(true);
    expect(namesField(validation, ["description"])).toBe(false);
  });
});

describe("formatProblem", () => {
  it("puts the location first, and leaves it out for the whole document", () => {
    expect(formatProblem({ loc: "components[3].parameters.k", message: "must be a number" })).toBe(
      "components[3].parameters.k: must be a number",
    );
    expect(formatProblem({ loc: "", message: "expected an object" })).toBe("expected an object");
  });
});

describe("documentContentType", () => {
  it("goes by the file name, then the browser's type", () => {
    expect(documentContentType("tank.YAML")).toBe("application/yaml");
    expect(documentContentType("tank.yml")).toBe("application/yaml");
    expect(documentContentType("tank.json", "text/plain")).toBe("application/json");
    expect(documentContentType("tank", "application/x-yaml")).toBe("application/yaml");
    expect(documentContentType("tank", "application/json")).toBe("application/json");
    expect(documentContentType("tank.txt", "text/plain")).toBeNull();
  });
});
