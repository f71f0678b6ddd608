// The one client of a run's live stream (WebSocket /api/v1/simulations/{id}/stream).
//
// It owns the socket: reads the schema, keeps the latest frame (values, forced and faulted flags), the
// run's status and I/O health and the list of events; answers every frame with an ack (the server's
// credit: it sends the newest values, never a backlog); reconnects with exponential backoff after a lost
// connection. The UI reads "latest values" from here on its own clock (once per animation frame) and
// re-renders with React only on structure changes (schema, status, events, io, connection).

import type { SimulationRead } from "../client/types.gen";
import { RingBuffer, toPlotNumber } from "./ringbuffer";

export interface StreamPort {
  name: string;
  component: string;
  port: string;
  direction: "input" | "output";
  data_type: "float" | "int" | "bool";
  unit: string | null;
}

export interface SchemaMessage {
  type: "schema";
  run_id: number;
  model_name?: string;
  model_hash?: string;
  dt: number;
  status?: string;
  ports: StreamPort[];
}

export interface FrameMessage {
  type: "frame";
  seq: number;
  tick: number;
  t: number;
  v: unknown[];
  forced?: number[];
  faulted?: number[];
}

export interface StreamEvent {
  seq: number;
  kind: string;
  tick: number;
  t: number;
  at: string;
  message: string;
  data?: Record<string, unknown>;
}

export type RunStatus = SimulationRead;
export type RunIo = NonNullable<SimulationRead["io"]>;

/** connecting -> open; lost -> reconnecting -> open...; ended (the run finished, close 1000); failed (4xxx). */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "ended" | "failed" | "closed";

export type StreamChange = "schema" | "status" | "events" | "io" | "connection";

/** The part of the browser's WebSocket that the client uses (a fake one in unit tests). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StreamOptions {
  /** ws:// or wss:// URL of the stream; see streamUrl(). */
  url: string;
  createSocket?: (url: string) => SocketLike;
  timers?: Timers;
  /** First retry after initialMs, then doubling up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** Samples kept per watched port (20 Hz x 10 min by default). */
  historyCapacity?: number;
}

/** Close codes after which reconnecting cannot help (unknown run, bad query). */
const PERMANENT_CLOSE = (code: number) => code >= 4000 && code < 5000;

/** The stream URL of a run, relative to the page (same origin as the app). */
export function streamUrl(
  runId: number,
  options: { ports?: string[]; hz?: number; location?: { protocol: string; host: string } } = {},
): string {
  const location = options.location ?? window.location;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams();
  if (options.ports?.length) query.set("ports", options.ports.join(","));
  if (options.hz) query.set("hz", String(options.hz));
  const suffix = query.size ? `?${query.toString()}` : "";
  return `${scheme}//${location.host}/api/v1/simulations/${runId}/stream${suffix}`;
}

interface Watched {
  refs: number;
  buffer: RingBuffer;
}

export class StreamClient {
  state: ConnectionState = "idle";
  /** Why the socket last closed: code and reason as the server gave them. */
  closeInfo: { code: number; reason: string } | null = null;
  schema: SchemaMessage | null = null;
  /** Port name -> position in every frame's values. */
  index = new Map<string, number>();
  values: unknown[] = [];
  forced = new Uint8Array(0);
  faulted = new Uint8Array(0);
  seq = -1;
  tick = 0;
  t = 0;
  /** Counts frames taken; a painter compares it with the count it last drew. */
  frameCount = 0;
  status: RunStatus | null = null;
  io: RunIo | null = null;
  events: StreamEvent[] = [];
  /** Reconnect attempts since the last schema. */
  attempts = 0;

  private socket: SocketLike | null = null;
  private retry: unknown = null;
  private stopped = false;
  private readonly listeners = new Set<(change: StreamChange) => void>();
  private readonly frameListeners = new Set<(client: StreamClient) => void>();
  private readonly watched = new Map<string, Watched>();
  private readonly eventSeqs = new Set<number>();
  private readonly createSocket: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly historyCapacity: number;

  constructor(readonly options: StreamOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
    this.historyCapacity = options.historyCapacity ?? 12_000;
  }

  /** Open the socket (again after close()). */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Close for good: no reconnect. */
  close(): void {
    this.stopped = true;
    if (this.retry !== null) this.timers.clearTimeout(this.retry);
    this.retry = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(1000, "client closed");
    }
    this.setState("closed");
  }

  /** Structure changes: schema, status, events, io, connection. Returns the unsubscribe function. */
  on(listener: (change: StreamChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called for every frame after the client has taken it (keep it cheap: store, do not draw). */
  onFrame(listener: (client: StreamClient) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Ask for another port set (globs); the server answers with a new schema. */
  subscribe(ports: string[]): void {
    this.send({ type: "subscribe", ports });
  }

  port(name: string): StreamPort | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.schema?.ports[i];
  }

  value(name: string): unknown {
    const i = this.index.get(name);
    return i === undefined ? undefined : this.values[i];
  }

  isForced(name: string): boolean {
    const i = this.index.get(name);
    return i !== undefined && this.forced[i] === 1;
  }

  isFaulted(name: string): boolean {
    const i = this.index.get(name);
    return i !== undefined && this.faulted[i] === 1;
  }

  /** Start keeping a history of a port (reference-counted); returns its buffer. */
  watch(name: string): RingBuffer {
    const existing = this.watched.get(name);
    if (existing) {
      existing.refs += 1;
      return existing.buffer;
    }
    const buffer = new RingBuffer(this.historyCapacity);
    this.watched.set(name, { refs: 1, buffer });
    const i = this.index.get(name);
    if (i !== undefined && this.frameCount > 0) buffer.push(this.t, toPlotNumber(this.values[i]));
    return buffer;
  }

  unwatch(name: string): void {
    const entry = this.watched.get(name);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs <= 0) this.watched.delete(name);
  }

  history(name: string): RingBuffer | undefined {
    return this.watched.get(name)?.buffer;
  }

  /** Whether the run can still change (the stream is, or will again be, live). */
  get live(): boolean {
    return this.state === "connecting" || this.state === "open" || this.state === "reconnecting";
  }

  private connect(): void {
    this.retry = null;
    this.setState(this.attempts > 0 || this.schema ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket === socket) this.setState("open");
    };
    socket.onmessage = (event) => {
      if (this.socket === socket && typeof event.data === "string") this.receive(event.data);
    };
    socket.onerror = () => undefined; // a close event follows and decides
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closeInfo = { code: event.code, reason: event.reason };
      if (this.stopped) return;
      if (event.code === 1000) this.setState("ended");
      else if (PERMANENT_CLOSE(event.code)) this.setState("failed");
      else this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.attempts);
    this.attempts += 1;
    this.setState("reconnecting");
    this.retry = this.timers.setTimeout(() => this.connect(), delay);
  }

  private receive(text: string): void {
    let message: { type?: unknown } & Record<string, unknown>;
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not ours to break on; the protocol sends JSON only
    }
    switch (message.type) {
      case "schema":
        this.takeSchema(message as unknown as SchemaMessage);
        break;
      case "frame":
        this.takeFrame(message as unknown as FrameMessage);
        break;
      case "status": {
        const { type: _type, ...status } = message;
        this.status = status as unknown as RunStatus;
        if (this.status.io) this.io = this.status.io;
        this.emit("status");
        break;
      }
      case "event": {
        const { type: _type, ...event } = message;
        this.takeEvent(event as unknown as StreamEvent);
        break;
      }
      case "io": {
        const { type: _type, ...io } = message;
        this.io = io as unknown as RunIo;
        this.emit("io");
        break;
      }
      default:
        break;
    }
  }

  private takeSchema(schema: SchemaMessage): void {
    this.schema = schema;
    this.index = new Map(schema.ports.map((p, i) => [p.name, i]));
    this.values = new Array<unknown>(schema.ports.length).fill(null);
    this.forced = new Uint8Array(schema.ports.length);
    this.faulted = new Uint8Array(schema.ports.length);
    this.attempts = 0;
    this.emit("schema");
  }

  private takeFrame(frame: FrameMessage): void {
    this.seq = frame.seq;
    this.tick = frame.tick;
    this.t = frame.t;
    this.values = frame.v;
    if (this.forced.length !== frame.v.length) this.forced = new Uint8Array(frame.v.length);
    else this.forced.fill(0);
    if (this.faulted.length !== frame.v.length) this.faulted = new Uint8Array(frame.v.length);
    else this.faulted.fill(0);
    for (const i of frame.forced ?? []) this.forced[i] = 1;
    for (const i of frame.faulted ?? []) this.faulted[i] = 1;
    for (const [name, entry] of this.watched) {
      const i = this.index.get(name);
      if (i === undefined) continue;
      const last = entry.buffer.lastTime();
      if (last !== undefined && frame.t < last) entry.buffer.clear(); // a new run of the same page, or a reset
      entry.buffer.push(frame.t, toPlotNumber(frame.v[i]));
    }
    this.frameCount += 1;
    for (const listener of this.frameListeners) listener(this);
    this.send({ type: "ack", seq: frame.seq });
  }

  private takeEvent(event: StreamEvent): void {
    if (this.eventSeqs.has(event.seq)) return; // replayed after a reconnect
    this.eventSeqs.add(event.seq);
    const last = this.events[this.events.length - 1];
    if (!last || last.seq < event.seq) this.events = [...this.events, event];
    else this.events = [...this.events, event].sort((a, b) => a.seq - b.seq);
    this.emit("events");
  }

  private send(message: Record<string, unknown>): void {
    try {
      this.socket?.send(JSON.stringify(message));
    } catch {
      // the socket is closing; its close event decides what happens next
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit("connection");
  }

  private emit(change: StreamChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
