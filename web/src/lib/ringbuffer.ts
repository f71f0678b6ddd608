// A fixed-capacity history of (time, value) samples; the oldest drop out when full.

export class RingBuffer {
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new Error("capacity must be positive");
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(time: number, value: number): void {
    const end = (this.start + this.count) % this.capacity;
    this.times[end] = time;
    this.values[end] = value;
    if (this.count < this.capacity) this.count += 1;
    else this.start = (this.start + 1) % this.capacity;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  lastTime(): number | undefined {
    return this.count ? this.times[(this.start + this.count - 1) % this.capacity] : undefined;
  }

  /** Samples with time >= since, oldest first, as two plain arrays (what uPlot takes). */
  since(since = -Infinity): [number[], number[]] {
    const times: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const k = (this.start + i) % this.capacity;
      const t = this.times[k] as number;
      if (t >= since) {
        times.push(t);
        values.push(this.values[k] as number);
      }
    }
    return [times, values];
  }
}

/** A value as a plottable number: booleans 0/1, null/non-numbers NaN (a gap). */
export function toPlotNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return Number.NaN;
}
