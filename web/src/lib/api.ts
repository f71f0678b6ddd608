// Helpers around the generated client (src/client): error text for people, and the few routes whose
// answers are free-form JSON in the OpenAPI document.

import { client } from "../client/client.gen";
import { exportMachineModel, listComponentTypes } from "../client/sdk.gen";
import type { ComponentTypeInfo, ModelDocument } from "./model";

client.setConfig({ baseUrl: "", throwOnError: false });

/** The message of the API's one error shape ({"error": {"code", "message", "details"}}), or a fallback. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object") {
    const inner = (error as { error?: { message?: unknown; code?: unknown } }).error;
    if (inner && typeof inner.message === "string") return inner.message;
    if (error instanceof Error) return error.message;
  }
  if (typeof error === "string") return error;
  return "the request failed";
}

/** An API error as an Error: its message for people, and the error shape's `error` (code, details) kept. */
export class ApiError extends Error {
  readonly error: { code?: string; message?: string; details?: unknown[] } | undefined;

  constructor(body: unknown) {
    super(errorMessage(body));
    this.name = "ApiError";
    const inner = body && typeof body === "object" ? (body as { error?: unknown }).error : undefined;
    this.error = inner && typeof inner === "object" ? (inner as ApiError["error"]) : undefined;
  }
}

/** Throw the API error (as an ApiError) or return the data. */
export function unwrap<T>(result: { data?: T; error?: unknown }): T {
  if (result.error !== undefined) throw new ApiError(result.error);
  return result.data as T;
}

export async function fetchModelDocument(id: number): Promise<ModelDocument> {
  return unwrap(await exportMachineModel({ path: { machine_model_id: id }, query: { format: "json" } })) as ModelDocument;
}

export async function fetchCatalog(): Promise<ComponentTypeInfo[]> {
  return unwrap(await listComponentTypes()) as unknown as ComponentTypeInfo[];
}

/** One fault type of GET /fault-types, with its `options` JSON Schema typed as the UI reads it. */
export interface FaultType {
  type: string;
  target: "port" | "component";
  component_types: string[] | null;
  description: string;
  options: {
    properties?: Record<
      string,
      { type?: string | string[]; default?: unknown; minimum?: number; maximum?: number; description?: string; enum?: unknown[] }
    >;
    required?: string[];
  };
}
