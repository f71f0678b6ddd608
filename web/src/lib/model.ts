// Types of the model document (GET /machine-models/{id}/export?format=json) and of the component-type
// catalogue (GET /component-types). Both routes answer free-form JSON in the OpenAPI document (their
// schemas are published separately), so their shapes are declared here, next to the code that reads them.

export type DataType = "float" | "int" | "bool";
export type Direction = "input" | "output";

export interface CatalogPort {
  name: string;
  direction: Direction;
  data_type: DataType;
  unit: string | null;
  description?: string;
  default?: unknown;
  required?: boolean;
}

export interface ComponentTypeInfo {
  type: string;
  category: string;
  description?: string;
  ports: CatalogPort[];
}

export interface ComponentDoc {
  name: string;
  type: string;
  parameters?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

export interface ConnectionDoc {
  from: string;
  to: string;
}

export interface BindingDoc {
  port: string;
  endpoint: string;
  node_id: string;
  direction: "read" | "write";
}

export interface ModelDocument {
  name: string;
  description?: string;
  dt: number;
  components: ComponentDoc[];
  connections: ConnectionDoc[];
  endpoints?: { name: string; url?: string }[];
  bindings?: BindingDoc[];
}

/** "tank.level" -> ["tank", "level"]; component names have no dots, so the first dot splits. */
export function splitPort(name: string): [string, string] {
  const dot = name.indexOf(".");
  return dot < 0 ? [name, ""] : [name.slice(0, dot), name.slice(dot + 1)];
}

export function catalogByType(types: ComponentTypeInfo[]): Map<string, ComponentTypeInfo> {
  return new Map(types.map((t) => [t.type, t]));
}

/** Colour of each catalogue category (nodes carry it as a stripe; unknown categories are grey). */
export const CATEGORY_COLOURS: Record<string, string> = {
  machine: "#2f6fde",
  control: "#8a3ffc",
  signal: "#00897b",
  source: "#e07b00",
  logic: "#c2185b",
};

export function categoryColour(category: string | undefined): string {
  return (category && CATEGORY_COLOURS[category]) || "#6b7280";
}
