import { Handle, Position, type NodeProps, useStore } from "@xyflow/react";
import { memo, useCallback } from "react";
import type { LivePainter } from "../../lib/painter";
import { formatValue } from "../../lib/format";
import { type ComponentNode, type GraphPort, rowCentre } from "./buildGraph";
import { useGraphContext } from "./context";

/** Below this zoom (~0.5) nodes are plain boxes: no port names, no values (level of detail). */
export const DETAIL_ZOOM = 0.45;
const detailedSelector = (state: { transform: [number, number, number] }) => state.transform[2] >= DETAIL_ZOOM;

function usePortRef(painter: LivePainter | null, key: string) {
  return useCallback(
    (el: HTMLElement | null) => {
      if (!el || !painter) return;
      return painter.registerPort(key, "value", el);
    },
    [painter, key],
  );
}

function PortRow({ port, side, index }: { port: GraphPort; side: "in" | "out"; index: number }) {
  const { painter, onPortClick } = useGraphContext();
  const valueRef = usePortRef(painter, port.key);
  const initial = painter ? "" : port.fixed !== undefined ? formatValue(port.fixed, port.dataType, port.unit) : (port.unit ?? "");
  const label = `${port.key}${port.unit ? ` [${port.unit}]` : ""}`;
  const content = (
    <>
      <span className="port-name">{port.name}</span>
      <span className={painter ? "port-value" : "port-unit"} ref={valueRef} data-testid={`value-${port.key}`}>
        {initial}
      </span>
      {port.binding ? (
        <span className="port-binding" title={`${port.binding.direction} ${port.binding.endpoint}: ${port.binding.nodeId}`}>
          ⇄
        </span>
      ) : null}
    </>
  );
  const style = { top: rowCentre(index) - 11 };
  return onPortClick ? (
    <button
      type="button"
      className={`port port-${side} nodrag nopan`}
      style={style}
      data-testid={`port-${port.key}`}
      aria-label={`port ${label}`}
      onClick={() => onPortClick(port.key)}
    >
      {content}
    </button>
  ) : (
    <div className={`port port-${side}`} style={style} data-testid={`port-${port.key}`} title={label}>
      {content}
    </div>
  );
}

function ComponentNodeView({ data }: NodeProps<ComponentNode>) {
  const detailed = useStore(detailedSelector);
  const { painter } = useGraphContext();
  const badgeRef = useCallback(
    (el: HTMLElement | null) => {
      if (!el || !painter) return;
      return painter.registerComponent(data.name, el);
    },
    [painter, data.name],
  );
  return (
    <div
      className={`cnode${detailed ? "" : " cnode-plain"}`}
      style={{ width: data.width, height: data.height, borderTopColor: data.colour }}
      data-testid={`node-${data.name}`}
      data-category={data.category}
      ref={badgeRef}
    >
      <div className="cnode-head" style={{ height: 38 }}>
        <span className="cnode-name">{data.name}</span>
        <span className="cnode-type" style={{ color: data.colour }}>
          {data.type}
        </span>
        {detailed ? (
          <span className="cnode-badges">
            <span className="badge badge-forced" title="a port is forced">
              F
            </span>
            <span className="badge badge-faulted" title="a fault is active">
              ⚠
            </span>
            {data.bound ? (
              <span className="badge badge-bound" data-testid={`bound-${data.name}`} title="bound to a PLC">
                PLC
              </span>
            ) : null}
          </span>
        ) : null}
      </div>
      {data.inputs.map((port, i) => (
        <Handle
          key={`in:${port.name}`}
          id={`in:${port.name}`}
          type="target"
          position={Position.Left}
          isConnectable={false}
          style={{ top: rowCentre(i) }}
        />
      ))}
      {data.outputs.map((port, i) => (
        <Handle
          key={`out:${port.name}`}
          id={`out:${port.name}`}
          type="source"
          position={Position.Right}
          isConnectable={false}
          style={{ top: rowCentre(i) }}
        />
      ))}
      {detailed
        ? [
            ...data.inputs.map((port, i) => <PortRow key={`in:${port.name}`} port={port} side="in" index={i} />),
            ...data.outputs.map((port, i) => <PortRow key={`out:${port.name}`} port={port} side="out" index={i} />),
          ]
        : null}
    </div>
  );
}

export default memo(ComponentNodeView);
