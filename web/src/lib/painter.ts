// Writes live values into the page once per animation frame, outside React.
//
// Graph nodes register the DOM elements that show a port (its value text, a boolean dot, a boolean
// wire) or a component's badges when they mount (React Flow mounts only what is in view) and unregister
// when they unmount. Each animation frame, if the stream has taken a new frame, the painter writes the
// elements whose text or state changed. Nothing here causes a React render.

import { formatValue } from "./format";
import type { StreamClient } from "./stream";

export type PortElementKind = "value" | "wire";

interface PortEntry {
  port: string;
  kind: PortElementKind;
  el: Element;
  last: string;
}

interface ComponentEntry {
  component: string;
  el: Element;
  last: string;
}

export type PaintTask = (client: StreamClient) => void;

/** Text and state of a port element; `state` is on/off for booleans, "" otherwise. */
export function portAppearance(
  value: unknown,
  dataType: "float" | "int" | "bool" | undefined,
  unit: string | null | undefined,
): { text: string; state: string } {
  if (typeof value === "boolean") return { text: value ? "true" : "false", state: value ? "on" : "off" };
  return { text: formatValue(value, dataType, unit), state: "" };
}

export class LivePainter {
  /** False while zoomed out (plain boxes): port values are not written then. */
  detailed = true;
  private readonly ports = new Set<PortEntry>();
  private readonly components = new Set<ComponentEntry>();
  private readonly tasks = new Set<PaintTask>();
  private paintedFrame = -1;
  private dirty = true;
  private handle = 0;
  private componentPorts = new Map<string, number[]>();
  private schemaRef: unknown = null;
  private bindingErrors = new Set<string>();

  constructor(private readonly client: StreamClient) {}

  start(): void {
    if (this.handle) return;
    const loop = () => {
      this.handle = requestAnimationFrame(loop);
      this.paint();
    };
    this.handle = requestAnimationFrame(loop);
  }

  stop(): void {
    if (this.handle) cancelAnimationFrame(this.handle);
    this.handle = 0;
  }

  /** Show a port's value (kind "value": text + data-state) or colour a boolean wire (kind "wire"). */
  registerPort(port: string, kind: PortElementKind, el: Element): () => void {
    const entry: PortEntry = { port, kind, el, last: "" };
    this.ports.add(entry);
    this.dirty = true;
    return () => {
      this.ports.delete(entry);
    };
  }

  /** Keep a component's badges (data-forced, data-faulted) current. */
  registerComponent(component: string, el: Element): () => void {
    const entry: ComponentEntry = { component, el, last: "" };
    this.components.add(entry);
    this.dirty = true;
    return () => {
      this.components.delete(entry);
    };
  }

  /** Run with every painted frame (e.g. the run bar's tick counter, a live trend). */
  addTask(task: PaintTask): () => void {
    this.tasks.add(task);
    this.dirty = true;
    return () => {
      this.tasks.delete(task);
    };
  }

  /** Components with a failing PLC binding (their badge shows data-binding="error"). */
  setBindingErrors(components: Iterable<string>): void {
    this.bindingErrors = new Set(components);
    for (const entry of this.components) entry.last = "";
    this.dirty = true;
  }

  setDetailed(detailed: boolean): void {
    if (this.detailed === detailed) return;
    this.detailed = detailed;
    this.dirty = true;
    if (detailed) for (const entry of this.ports) entry.last = "";
  }

  /** Write what changed since the last paint; public so tests and the benchmark can call it directly. */
  paint(): void {
    const client = this.client;
    if (client.frameCount === this.paintedFrame && !this.dirty) return;
    this.paintedFrame = client.frameCount;
    this.dirty = false;
    if (client.frameCount === 0) {
      for (const task of this.tasks) task(client);
      return;
    }
    if (client.schema !== this.schemaRef) this.indexComponents();
    const schemaPorts = client.schema?.ports ?? [];
    if (this.detailed) {
      for (const entry of this.ports) {
        const i = client.index.get(entry.port);
        if (i === undefined) continue;
        const meta = schemaPorts[i];
        const { text, state } = portAppearance(client.values[i], meta?.data_type, meta?.unit);
        const flags = `${client.forced[i] ? "F" : ""}${client.faulted[i] ? "X" : ""}`;
        const key = `${text}|${state}|${flags}`;
        if (key === entry.last) continue;
        entry.last = key;
        if (entry.kind === "value") {
          if (entry.el.textContent !== text) entry.el.textContent = text;
          setData(entry.el, "state", state);
          setData(entry.el, "forced", client.forced[i] ? "true" : "");
          setData(entry.el, "faulted", client.faulted[i] ? "true" : "");
        } else {
          setData(entry.el, "state", state);
        }
      }
    }
    for (const entry of this.components) {
      const indices = this.componentPorts.get(entry.component) ?? [];
      let forced = false;
      let faulted = false;
      for (const i of indices) {
        forced ||= client.forced[i] === 1;
        faulted ||= client.faulted[i] === 1;
      }
      const bindingError = this.bindingErrors.has(entry.component);
      const key = `${forced}|${faulted}|${bindingError}`;
      if (key === entry.last) continue;
      entry.last = key;
      setData(entry.el, "forced", forced ? "true" : "");
      setData(entry.el, "faulted", faulted ? "true" : "");
      setData(entry.el, "binding", bindingError ? "error" : "");
    }
    for (const task of this.tasks) task(client);
  }

  private indexComponents(): void {
    this.schemaRef = this.client.schema;
    const map = new Map<string, number[]>();
    (this.client.schema?.ports ?? []).forEach((p, i) => {
      const list = map.get(p.component);
      if (list) list.push(i);
      else map.set(p.component, [i]);
    });
    this.componentPorts = map;
    for (const entry of this.ports) entry.last = "";
    for (const entry of this.components) entry.last = "";
  }
}

function setData(el: Element, name: string, value: string): void {
  const attribute = `data-${name}`;
  if (value) {
    if (el.getAttribute(attribute) !== value) el.setAttribute(attribute, value);
  } else if (el.hasAttribute(attribute)) {
    el.removeAttribute(attribute);
  }
}
