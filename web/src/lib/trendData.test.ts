import { describe, expect, it } from "vitest";
import { RingBuffer, toPlotNumber } from "./ringbuffer";
import { alignHistories, telemetryColumns } from "./trendData";

describe("RingBuffer", () => {
  it("drops the oldest samples when full and filters by time", () => {
    const buffer = new RingBuffer(3);
    for (let k = 1; k <= 5; k++) buffer.push(k, k * 10);
    expect(buffer.since()).toEqual([
      [3, 4, 5],
      [30, 40, 50],
    ]);
    expect(buffer.since(4)).toEqual([
      [4, 5],
      [40, 50],
    ]);
    expect(buffer.lastTime()).toBe(5);
  });

  it("plots booleans as 0/1 and anything else as a gap", () => {
    expect([toPlotNumber(true), toPlotNumber(false), toPlotNumber(2.5)]).toEqual([1, 0, 2.5]);
    expect(toPlotNumber(null)).toBeNaN();
  });
});

describe("alignHistories", () => {
  it("aligns a port watched later on the right, padding its start with gaps", () => {
    const a = new RingBuffer(10);
    const b = new RingBuffer(10);
    a.push(0.1, 1);
    a.push(0.2, 2);
    b.push(0.3, 30);
    a.push(0.3, 3);
    expect(alignHistories([a, b])).toEqual([
      [0.1, 0.2, 0.3],
      [1, 2, 3],
      [null, null, 30],
    ]);
  });

  it("turns NaN into gaps and keeps only the window", () => {
    const a = new RingBuffer(10);
    a.push(1, Number.NaN);
    a.push(2, 5);
    expect(alignHistories([a, undefined], 0)).toEqual([[1, 2], [null, 5], [null, null]]);
    expect(alignHistories([a], 2)).toEqual([[2], [5]]);
  });
});

describe("telemetryColumns", () => {
  it("picks the chosen ports, booleans as 0/1", () => {
    const telemetry = { times: [0, 0.5], series: { "tank.level": [0.1, 0.2], "lamp.on": [false, true] } };
    expect(telemetryColumns(telemetry, ["lamp.on", "tank.level", "missing.port"])).toEqual([
      [0, 0.5],
      [0, 1],
      [0.1, 0.2],
      [],
    ]);
  });
});
