import { describe, expect, it } from "vitest";
import { type SocketLike, StreamClient, type Timers, streamUrl } from "./stream";

class FakeSocket implements SocketLike {
  sent: unknown[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  open() {
    this.onopen?.({});
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = "") {
    this.onclose?.({ code, reason });
  }
}

class FakeTimers implements Timers {
  pending: { callback: () => void; ms: number }[] = [];
  setTimeout(callback: () => void, ms: number) {
    const entry = { callback, ms };
    this.pending.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown) {
    this.pending = this.pending.filter((p) => p !== handle);
  }
  runNext() {
    const next = this.pending.shift();
    next?.callback();
    return next?.ms;
  }
}

const schema = {
  type: "schema",
  run_id: 7,
  dt: 0.05,
  ports: [
    { name: "tank.level", component: "tank", port: "level", direction: "output", data_type: "float", unit: "m" },
    { name: "valve.command", component: "valve", port: "command", direction: "input", data_type: "float", unit: "1" },
    { name: "lamp.on", component: "lamp", port: "on", direction: "output", data_type: "bool", unit: null },
  ],
};

function setup() {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const client = new StreamClient({
    url: "ws://host/api/v1/simulations/7/stream",
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    timers,
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  client.start();
  return { client, sockets, timers, socket: () => sockets[sockets.length - 1]! };
}

describe("StreamClient", () => {
  it("reads the schema, then frames in schema order with forced and faulted flags", () => {
    const { client, socket } = setup();
    socket().open();
    expect(client.state).toBe("open");
    socket().receive(schema);
    socket().receive({ type: "frame", seq: 1, tick: 20, t: 1.0, v: [0.5, 0, true], forced: [1], faulted: [0] });
    expect(client.value("tank.level")).toBe(0.5);
    expect(client.value("lamp.on")).toBe(true);
    expect(client.isForced("valve.command")).toBe(true);
    expect(client.isForced("tank.level")).toBe(false);
    expect(client.isFaulted("tank.level")).toBe(true);
    expect([client.tick, client.t, client.frameCount]).toEqual([20, 1.0, 1]);
    expect(client.port("tank.level")?.unit).toBe("m");
  });

  it("acknowledges every frame with its seq (the server's credit)", () => {
    const { socket } = setup();
    socket().open();
    socket().receive(schema);
    socket().receive({ type: "frame", seq: 1, tick: 1, t: 0.05, v: [0, 0, false] });
    socket().receive({ type: "frame", seq: 2, tick: 2, t: 0.1, v: [0, 0, false] });
    expect(socket().sent).toEqual([
      { type: "ack", seq: 1 },
      { type: "ack", seq: 2 },
    ]);
  });

  it("clears flags absent from the next frame", () => {
    const { client, socket } = setup();
    socket().receive(schema);
    socket().receive({ type: "frame", seq: 1, tick: 1, t: 0.05, v: [0, 0, false], forced: [1] });
    socket().receive({ type: "frame", seq: 2, tick: 2, t: 0.1, v: [0, 0, false] });
    expect(client.isForced("valve.command")).toBe(false);
  });

  it("notifies structure changes but not frames", () => {
    const { client, socket } = setup();
    const changes: string[] = [];
    client.on((change) => changes.push(change));
    socket().open();
    socket().receive(schema);
    socket().receive({ type: "frame", seq: 1, tick: 1, t: 0.05, v: [0, 0, false] });
    socket().receive({ type: "status", id: 7, status: "running", tick: 1 });
    socket().receive({ type: "io", state: "connected", reconnects: 0 });
    expect(changes).toEqual(["connection", "schema", "status", "io"]);
    expect(client.status?.status).toBe("running");
    expect(client.io?.state).toBe("connected");
  });

  it("keeps events in seq order without the duplicates a reconnect replays", () => {
    const { client, socket, timers } = setup();
    socket().receive(schema);
    const event = (seq: number, kind: string) => ({ type: "event", seq, kind, tick: seq, t: seq, at: "", message: kind });
    socket().receive(event(1, "started"));
    socket().receive(event(2, "force"));
    socket().drop();
    timers.runNext();
    socket().receive(schema);
    socket().receive(event(1, "started"));
    socket().receive(event(2, "force"));
    socket().receive(event(3, "release"));
    expect(client.events.map((e) => [e.seq, e.kind])).toEqual([
      [1, "started"],
      [2, "force"],
      [3, "release"],
    ]);
    expect(client.events[0]).not.toHaveProperty("type");
  });

  it("reconnects after a lost connection with doubling delays, reset by a schema", () => {
    const { client, sockets, timers, socket } = setup();
    socket().drop();
    expect(client.state).toBe("reconnecting");
    expect(timers.runNext()).toBe(100);
    socket().drop();
    expect(timers.runNext()).toBe(200);
    socket().drop();
    expect(timers.runNext()).toBe(400);
    expect(sockets).toHaveLength(4);
    socket().open();
    socket().receive(schema);
    expect(client.attempts).toBe(0);
    socket().drop();
    expect(timers.runNext()).toBe(100);
  });

  it("caps the backoff", () => {
    const { timers, socket } = setup();
    const delays: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      socket().drop();
      delays.push(timers.runNext());
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("ends without reconnecting when the server closes normally (run finished)", () => {
    const { client, timers, socket } = setup();
    socket().receive(schema);
    socket().receive({ type: "frame", seq: 9, tick: 100, t: 5, v: [0.7, 1, true] });
    socket().drop(1000, "");
    expect(client.state).toBe("ended");
    expect(client.live).toBe(false);
    expect(timers.pending).toHaveLength(0);
    expect(client.value("tank.level")).toBe(0.7); // final values stay
  });

  it("fails for good on an unknown run (4404) and keeps the reason", () => {
    const { client, timers, socket } = setup();
    socket().drop(4404, "simulation run 7 not found");
    expect(client.state).toBe("failed");
    expect(client.closeInfo).toEqual({ code: 4404, reason: "simulation run 7 not found" });
    expect(timers.pending).toHaveLength(0);
  });

  it("close() stops for good: no reconnect and the socket is closed", () => {
    const { client, timers, socket } = setup();
    const first = socket();
    client.close();
    expect(first.closed?.code).toBe(1000);
    expect(client.state).toBe("closed");
    first.drop();
    expect(timers.pending).toHaveLength(0);
  });

  it("records the history of watched ports only, aligned to sim time", () => {
    const { client, socket } = setup();
    socket().receive(schema);
    const level = client.watch("tank.level");
    client.watch("lamp.on");
    for (let k = 1; k <= 3; k++) socket().receive({ type: "frame", seq: k, tick: k, t: k * 0.1, v: [k, 0, k % 2 === 1] });
    expect(level.since()).toEqual([[0.1, 0.2, 0.30000000000000004], [1, 2, 3]]);
    expect(client.history("lamp.on")?.since()[1]).toEqual([1, 0, 1]);
    expect(client.history("valve.command")).toBeUndefined();
    client.unwatch("tank.level");
    expect(client.history("tank.level")).toBeUndefined();
  });

  it("sends a subscribe message with the new port globs", () => {
    const { client, socket } = setup();
    client.subscribe(["tank.*"]);
    expect(socket().sent).toEqual([{ type: "subscribe", ports: ["tank.*"] }]);
  });

  it("ignores text that is not JSON", () => {
    const { client, socket } = setup();
    socket().onmessage?.({ data: "not json" });
    expect(client.schema).toBeNull();
  });
});

describe("streamUrl", () => {
  it("uses ws on http and wss on https, with the port globs and rate", () => {
    expect(streamUrl(3, { location: { protocol: "http:", host: "127.0.0.1:7777" } })).toBe(
      "ws://127.0.0.1:7777/api/v1/simulations/3/stream",
    );
    expect(streamUrl(3, { ports: ["tank.*", "heater.power"], hz: 10, location: { protocol: "https:", host: "twin" } })).toBe(
      "wss://twin/api/v1/simulations/3/stream?ports=tank.*%2Cheater.power&hz=10",
    );
  });
});
