// The graph is data: React Flow nodes and edges derived from the model document and the catalogue, in
// one function. The canvas never becomes a second source of truth.

import type { Edge, Node } from "@xyflow/react";
import {
  type CatalogPort,
  type ComponentTypeInfo,
  type ModelDocument,
  categoryColour,
  splitPort,
} from "../../lib/model";
import { layeredLayout } from "./layout";

export interface GraphPort {
  name: string;
  /** "component.port", the key of values in the stream and the REST API. */
  key: string;
  dataType: CatalogPort["data_type"];
  unit: string | null;
  /** A value given in the document for an unconnected input. */
  fixed?: unknown;
  /** The PLC binding on this port, if any (direction read/write, endpoint). */
  binding?: { endpoint: string; direction: string; nodeId: string };
}

export interface ComponentNodeData extends Record<string, unknown> {
  name: string;
  type: string;
  category: string;
  colour: string;
  inputs: GraphPort[];
  outputs: GraphPort[];
  bound: boolean;
  width: number;
  height: number;
}

export type ComponentNode = Node<ComponentNodeData, "component">;

export interface WireData extends Record<string, unknown> {
  /** The source port key; boolean wires are coloured by its value. */
  source: string;
  dataType: CatalogPort["data_type"];
}

export type WireEdge = Edge<WireData>;

export interface ModelGraph {
  nodes: ComponentNode[];
  edges: WireEdge[];
  /** Port key -> its description, for panels. */
  ports: Map<string, GraphPort>;
}

export const NODE_WIDTH = 240;
export const HEADER_HEIGHT = 38;
export const ROW_HEIGHT = 22;

/** Vertical centre of port row i in a node (handles sit exactly there in every zoom level). */
export function rowCentre(i: number): number {
  return HEADER_HEIGHT + i * ROW_HEIGHT + ROW_HEIGHT / 2;
}

export function buildGraph(doc: ModelDocument, catalog: Map<string, ComponentTypeInfo>): ModelGraph {
  const bindings = new Map((doc.bindings ?? []).map((b) => [b.port, b]));
  const ports = new Map<string, GraphPort>();
  const boxes: { id: string; width: number; height: number }[] = [];
  const nodes: ComponentNode[] = doc.components.map((component) => {
    const info = catalog.get(component.type);
    const toPort = (p: CatalogPort): GraphPort => {
      const key = `${component.name}.${p.name}`;
      const binding = bindings.get(key);
      const port: GraphPort = { name: p.name, key, dataType: p.data_type, unit: p.unit };
      if (component.inputs && p.name in component.inputs) port.fixed = component.inputs[p.name];
      if (binding) port.binding = { endpoint: binding.endpoint, direction: binding.direction, nodeId: binding.node_id };
      ports.set(key, port);
      return port;
    };
    const inputs = (info?.ports ?? []).filter((p) => p.direction === "input").map(toPort);
    const outputs = (info?.ports ?? []).filter((p) => p.direction === "output").map(toPort);
    const height = HEADER_HEIGHT + Math.max(1, inputs.length, outputs.length) * ROW_HEIGHT + 8;
    boxes.push({ id: component.name, width: NODE_WIDTH, height });
    return {
      id: component.name,
      type: "component",
      position: { x: 0, y: 0 },
      data: {
        name: component.name,
        type: component.type,
        category: info?.category ?? "unknown",
        colour: categoryColour(info?.category),
        inputs,
        outputs,
        bound: [...inputs, ...outputs].some((p) => p.binding),
        width: NODE_WIDTH,
        height,
      },
      width: NODE_WIDTH,
      height,
      draggable: false,
      connectable: false,
    };
  });

  const edges: WireEdge[] = doc.connections.map((connection) => {
    const [source, sourcePort] = splitPort(connection.from);
    const [target, targetPort] = splitPort(connection.to);
    const dataType = ports.get(connection.from)?.dataType ?? "float";
    return {
      id: `${connection.from}->${connection.to}`,
      source,
      sourceHandle: `out:${sourcePort}`,
      target,
      targetHandle: `in:${targetPort}`,
      type: dataType === "bool" ? "bool" : "default",
      data: { source: connection.from, dataType },
      focusable: false,
    };
  });

  const positions = layeredLayout(
    boxes,
    edges.map((e) => [e.source, e.target]),
  );
  for (const node of nodes) node.position = positions.get(node.id) ?? { x: 0, y: 0 };
  return { nodes, edges, ports };
}

/** A graph from the stream's port list alone (the run's model was deleted): boxes, no wires. */
export function schemaGraph(
  ports: { name: string; component: string; port: string; direction: "input" | "output"; data_type: CatalogPort["data_type"]; unit: string | null }[],
): ModelGraph {
  const byComponent = new Map<string, CatalogPort[]>();
  for (const p of ports) {
    const list = byComponent.get(p.component) ?? [];
    list.push({ name: p.port, direction: p.direction, data_type: p.data_type, unit: p.unit });
    byComponent.set(p.component, list);
  }
  const catalog = new Map<string, ComponentTypeInfo>();
  const doc: ModelDocument = { name: "", dt: 0, components: [], connections: [] };
  for (const [component, list] of byComponent) {
    catalog.set(`@${component}`, { type: `@${component}`, category: "unknown", ports: list });
    doc.components.push({ name: component, type: `@${component}` });
  }
  return buildGraph(doc, catalog);
}
