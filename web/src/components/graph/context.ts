import { createContext, useContext } from "react";
import type { LivePainter } from "../../lib/painter";

/** What graph nodes need besides their data: the live painter (run console only) and port clicks. */
export interface GraphContextValue {
  painter: LivePainter | null;
  onPortClick: ((port: string) => void) | null;
}

export const GraphContext = createContext<GraphContextValue>({ painter: null, onPortClick: null });

export function useGraphContext(): GraphContextValue {
  return useContext(GraphContext);
}
