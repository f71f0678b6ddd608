import { describe, expect, it } from "vitest";
import { faultOptions } from "./FaultPanel";

const schema = {
  properties: {
    value: { type: ["number", "boolean"], description: "stuck value" },
    for: { type: "number", minimum: 0 },
    mode: { enum: ["zero", "hold"] },
    name: { type: "string" },
  },
  required: ["value"],
};

describe("faultOptions", () => {
  it("parses numbers, keeps enums and text, and leaves out blank optional fields", () => {
    expect(faultOptions(schema, { value: "0.3", for: "", mode: "hold", name: " leak " })).toEqual({
      value: 0.3,
      mode: "hold",
      name: "leak",
    });
  });

  it("names a missing required option and a bad number", () => {
    expect(() => faultOptions(schema, {})).toThrow("value is required");
    expect(() => faultOptions(schema, { value: "1", for: "soon" })).toThrow("for must be a number");
  });
});
