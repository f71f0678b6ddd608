import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { fetchCatalog, fetchModelDocument } from "../../lib/api";
import { catalogByType } from "../../lib/model";
import { buildGraph } from "./buildGraph";

/** A stored model's document and catalogue, and the graph derived from them (recomputed only when they change). */
export function useModelGraph(modelId: number | null | undefined) {
  const doc = useQuery({
    queryKey: ["model-document", modelId],
    queryFn: () => fetchModelDocument(modelId!),
    enabled: !!modelId,
    staleTime: 60_000,
  });
  const catalog = useQuery({ queryKey: ["component-types"], queryFn: fetchCatalog, staleTime: Infinity });
  const graph = useMemo(
    () => (doc.data && catalog.data ? buildGraph(doc.data, catalogByType(catalog.data)) : null),
    [doc.data, catalog.data],
  );
  return { doc, catalog, graph, isPending: doc.isPending || catalog.isPending, error: doc.error ?? catalog.error };
}
