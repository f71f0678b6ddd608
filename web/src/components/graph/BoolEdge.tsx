import { type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo, useCallback } from "react";
import type { WireEdge } from "./buildGraph";
import { useGraphContext } from "./context";

/** A boolean wire: the painter sets data-state on/off from its source port's value. */
function BoolEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data }: EdgeProps<WireEdge>) {
  const { painter } = useGraphContext();
  const [path] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  const source = data?.source ?? "";
  const ref = useCallback(
    (el: SVGPathElement | null) => {
      if (!el || !painter) return;
      return painter.registerPort(source, "wire", el);
    },
    [painter, source],
  );
  return <path id={id} ref={ref} className="react-flow__edge-path wire-bool" d={path} fill="none" />;
}

export default memo(BoolEdge);
