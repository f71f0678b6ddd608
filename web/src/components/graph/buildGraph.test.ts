import { describe, expect, it } from "vitest";
import type { ComponentTypeInfo, ModelDocument } from "../../lib/model";
import { catalogByType } from "../../lib/model";
import { buildGraph, schemaGraph } from "./buildGraph";
import { layeredLayout } from "./layout";

const catalog = catalogByType([
  {
    type: "Step",
    category: "source",
    ports: [{ name: "out", direction: "output", data_type: "float", unit: null }],
  },
  {
    type: "Valve",
    category: "machine",
    ports: [
      { name: "command", direction: "input", data_type: "float", unit: "1" },
      { name: "flow", direction: "output", data_type: "float", unit: "m³/s" },
    ],
  },
  {
    type: "Comparator",
    category: "signal",
    ports: [
      { name: "in", direction: "input", data_type: "float", unit: null },
      { name: "out", direction: "output", data_type: "bool", unit: null },
    ],
  },
  {
    type: "Lamp",
    category: "machine",
    ports: [
      { name: "in", direction: "input", data_type: "bool", unit: null },
      { name: "on", direction: "output", data_type: "bool", unit: null },
    ],
  },
] satisfies ComponentTypeInfo[]);

const doc: ModelDocument = {
  name: "m",
  dt: 0.05,
  components: [
    { name: "demand", type: "Step" },
    { name: "valve", type: "Valve" },
    { name: "high", type: "Comparator", inputs: {} },
    { name: "lamp", type: "Lamp" },
  ],
  connections: [
    { from: "demand.out", to: "valve.command" },
    { from: "valve.flow", to: "high.in" },
    { from: "high.out", to: "lamp.in" },
  ],
  bindings: [{ port: "valve.command", endpoint: "plc", node_id: "ns=2;s=cmd", direction: "read" }],
};

describe("buildGraph", () => {
  it("makes one node per component with named handles and one edge per connection", () => {
    const graph = buildGraph(doc, catalog);
    expect(graph.nodes.map((n) => n.id)).toEqual(["demand", "valve", "high", "lamp"]);
    const valve = graph.nodes[1]!.data;
    expect(valve.inputs.map((p) => p.key)).toEqual(["valve.command"]);
    expect(valve.outputs.map((p) => [p.key, p.unit])).toEqual([["valve.flow", "m³/s"]]);
    expect(valve.bound).toBe(true);
    expect(valve.inputs[0]!.binding).toEqual({ endpoint: "plc", direction: "read", nodeId: "ns=2;s=cmd" });
    expect(graph.edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle, e.type])).toEqual([
      ["demand", "out:out", "valve", "in:command", "default"],
      ["valve", "out:flow", "high", "in:in", "default"],
      ["high", "out:out", "lamp", "in:in", "bool"],
    ]);
    expect(graph.ports.get("lamp.on")?.dataType).toBe("bool");
  });

  it("lays components out left to right along their connections", () => {
    const graph = buildGraph(doc, catalog);
    const xs = graph.nodes.map((n) => n.position.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(4);
  });

  it("builds boxes from a stream schema when the model is gone", () => {
    const graph = schemaGraph([
      { name: "tank.level", component: "tank", port: "level", direction: "output", data_type: "float", unit: "m" },
      { name: "tank.inflow", component: "tank", port: "inflow", direction: "input", data_type: "float", unit: "m³/s" },
    ]);
    expect(graph.nodes).toHaveLength(1);
    expect(graph.nodes[0]!.data.outputs[0]!.key).toBe("tank.level");
    expect(graph.edges).toEqual([]);
  });
});

describe("layeredLayout", () => {
  it("survives cycles and places every box without overlaps in a column", () => {
    const boxes = ["a", "b", "c", "d"].map((id) => ({ id, width: 100, height: 50 }));
    const positions = layeredLayout(boxes, [
      ["a", "b"],
      ["b", "c"],
      ["c", "a"],
      ["c", "d"],
    ]);
    expect(positions.size).toBe(4);
    const byX = new Map<number, number[]>();
    for (const { x, y } of positions.values()) byX.set(x, [...(byX.get(x) ?? []), y]);
    for (const ys of byX.values()) {
      ys.sort((p, q) => p - q);
      for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(50);
    }
  });

  it("wraps a very tall layer into several columns", () => {
    const boxes = Array.from({ length: 100 }, (_, i) => ({ id: `n${i}`, width: 100, height: 50 }));
    const positions = layeredLayout(boxes, [], { maxRows: 10 });
    expect(new Set([...positions.values()].map((p) => p.x)).size).toBe(10);
  });
});
