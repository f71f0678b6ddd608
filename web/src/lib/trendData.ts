// Turn per-port histories into the column arrays uPlot draws.

import type { RingBuffer } from "./ringbuffer";

export type Columns = [number[], ...(number | null)[][]];

/**
 * Histories of ports watched from different moments share their latest samples (every watched buffer
 * takes every frame), so a shorter history is the tail of the longest: align them on the right and pad
 * the start with gaps.
 */
export function alignHistories(buffers: (RingBuffer | undefined)[], since = -Infinity): Columns {
  const parts = buffers.map((b) => (b ? b.since(since) : ([[], []] as [number[], number[]])));
  let longest: number[] = [];
  for (const [times] of parts) if (times.length > longest.length) longest = times;
  const n = longest.length;
  const columns: (number | null)[][] = parts.map(([, values]) => {
    const column: (number | null)[] = new Array<number | null>(n - values.length).fill(null);
    for (const v of values) column.push(Number.isNaN(v) ? null : v);
    return column;
  });
  return [longest, ...columns];
}

/** Recorded telemetry (times + series per port) as columns for the chosen ports. */
export function telemetryColumns(
  telemetry: { times: number[]; series: Record<string, unknown[]> },
  ports: string[],
): Columns {
  const columns = ports.map((port) =>
    (telemetry.series[port] ?? []).map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "number" ? v : null)),
  );
  return [telemetry.times, ...columns];
}
