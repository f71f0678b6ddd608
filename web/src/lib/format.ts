// Formatting of live values for people: numbers with a unit and a precision that suits their size.

import type { DataType } from "./model";

/** A number with about four significant digits, no exponent for everyday magnitudes, "-" for null. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(2);
  if (Number.isInteger(value) && magnitude < 1e5) return String(value);
  const decimals = Math.max(0, 3 - Math.floor(Math.log10(magnitude)));
  return trimZeros(value.toFixed(Math.min(decimals, 6)));
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A port value as shown on the graph: `0.612 m`, `3000 W`, `true`; ints stay whole. */
export function formatValue(value: unknown, dataType?: DataType, unit?: string | null): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value !== "number") return String(value);
  const text = dataType === "int" ? String(Math.round(value)) : formatNumber(value);
  return unit && unit !== "1" ? `${text} ${unit}` : text;
}

/** Parse what a person typed for a force on a port of this data type; an Error names what is valid. */
export function parsePortValue(text: string, dataType: DataType): number | boolean {
  const trimmed = text.trim().toLowerCase();
  if (dataType === "bool") {
    if (["true", "1", "on", "yes"].includes(trimmed)) return true;
    if (["false", "0", "off", "no"].includes(trimmed)) return false;
    throw new Error("a boolean port takes true or false (1/0, on/off)");
  }
  if (trimmed === "") throw new Error("type a number");
  const value = Number(trimmed);
  if (!Number.isFinite(value)) throw new Error(`'${text}' is not a number`);
  if (dataType === "int" && !Number.isInteger(value)) throw new Error("an int port takes a whole number");
  return value;
}

/** Simulated or wall seconds as `12.35 s`, `4 min 05 s`, `1 h 02 min`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

/** Milliseconds from seconds, for lateness figures. */
export function formatMillis(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  return `${formatNumber(seconds * 1000)} ms`;
}

/** One CSV field: quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of a table as CSV text (header first, LF line ends, trailing newline). */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

/** "3 scenarios", "1 scenario", or "… scenarios" while the count is not known yet. */
export function countOf(n: number | undefined, one: string, many: string): string {
  if (n === undefined) return `… ${many}`;
  return `${n} ${n === 1 ? one : many}`;
}
