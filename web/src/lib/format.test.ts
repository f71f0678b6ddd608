import { describe, expect, it } from "vitest";
import { countOf, formatMillis, formatNumber, formatSeconds, formatValue, parsePortValue, toCsv } from "./format";

describe("formatNumber", () => {
  it.each([
    [0, "0"],
    [3000, "3000"],
    [0.6123456, "0.6123"],
    [12.3456, "12.35"],
    [45.04999, "45.05"],
    [-1.5, "-1.5"],
    [0.0002617, "2.62e-4"],
    [12_345_678, "1.23e+7"],
    [123456.7, "123457"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "∞"],
    [null, "–"],
  ])("%s -> %s", (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});

describe("formatValue", () => {
  it("adds the unit, keeps ints whole and shows booleans as words", () => {
    expect(formatValue(0.61234, "float", "m")).toBe("0.6123 m");
    expect(formatValue(7, "int", null)).toBe("7");
    expect(formatValue(true, "bool", null)).toBe("true");
    expect(formatValue(null, "float", "m")).toBe("–");
  });

  it("leaves out the dimensionless unit 1", () => {
    expect(formatValue(0.5, "float", "1")).toBe("0.5");
  });
});

describe("parsePortValue", () => {
  it("reads numbers, whole numbers and booleans", () => {
    expect(parsePortValue(" 0.25 ", "float")).toBe(0.25);
    expect(parsePortValue("3", "int")).toBe(3);
    expect(parsePortValue("on", "bool")).toBe(true);
    expect(parsePortValue("0", "bool")).toBe(false);
  });

  it("says what is valid when it cannot", () => {
    expect(() => parsePortValue("abc", "float")).toThrow("'abc' is not a number");
    expect(() => parsePortValue("2.5", "int")).toThrow("whole number");
    expect(() => parsePortValue("maybe", "bool")).toThrow("true or false");
    expect(() => parsePortValue("", "float")).toThrow("type a number");
  });
});

describe("formatSeconds and formatMillis", () => {
  it("scales the unit with the size", () => {
    expect(formatSeconds(2.345)).toBe("2.35 s");
    expect(formatSeconds(42.25)).toBe("42.3 s");
    expect(formatSeconds(245)).toBe("4 min 05 s");
    expect(formatSeconds(3720)).toBe("1 h 02 min");
    expect(formatMillis(0.0021)).toBe("2.1 ms");
  });
});

describe("toCsv", () => {
  it("quotes fields with commas, quotes and line breaks", () => {
    expect(toCsv(["time", "a,b"], [[0, 'say "hi"'], [0.5, null]])).toBe('time,"a,b"\n0,"say ""hi"""\n0.5,\n');
  });
});

describe("countOf", () => {
  it("says one or many, and an ellipsis while unknown", () => {
    expect(countOf(1, "scenario", "scenarios")).toBe("1 scenario");
    expect(countOf(0, "scenario", "scenarios")).toBe("0 scenarios");
    expect(countOf(3, "scenario", "scenarios")).toBe("3 scenarios");
    expect(countOf(undefined, "scenario", "scenarios")).toBe("… scenarios");
  });
});
