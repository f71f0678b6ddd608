import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  type EdgeTypes,
  type NodeTypes,
  useStore,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { type RefObject, memo, useEffect, useMemo, useRef } from "react";
import type { LivePainter } from "../../lib/painter";
import BoolEdge from "./BoolEdge";
import type { ModelGraph } from "./buildGraph";
import ComponentNodeView, { DETAIL_ZOOM } from "./ComponentNodeView";
import { GraphContext } from "./context";
import FindComponent from "./FindComponent";

const nodeTypes: NodeTypes = { component: ComponentNodeView };
const edgeTypes: EdgeTypes = { bool: BoolEdge };
const proOptions = { hideAttribution: true };

interface Props {
  graph: ModelGraph;
  painter?: LivePainter | null;
  onPortClick?: ((port: string) => void) | null;
  /** Show the minimap (off for very large graphs: it draws every node). */
  minimap?: boolean;
}

const detailedSelector = (state: { transform: [number, number, number] }) => state.transform[2] >= DETAIL_ZOOM;

/**
 * Tells the painter and the page when the zoom crosses the level of detail (renders on the crossing only).
 * Zoomed out, the viewport gets its own compositing layer (data-lod="plain" in the CSS), so updates elsewhere
 * on the page (run bar, trends) never repaint thousands of boxes; zoomed in it drops the layer again so text
 * is rasterised sharp at its zoom.
 */
function DetailSwitch({ painter, box }: { painter: LivePainter | null; box: RefObject<HTMLDivElement | null> }) {
  const detailed = useStore(detailedSelector);
  useEffect(() => {
    painter?.setDetailed(detailed);
    if (box.current) box.current.dataset.lod = detailed ? "detailed" : "plain";
  }, [painter, detailed, box]);
  return null;
}

/**
 * The model as a port-level graph, read-only. Renders only what is in view, draws plain boxes below
 * zoom 0.5, and never re-renders for live values (the painter writes those into the DOM).
 */
function ModelGraphView({ graph, painter = null, onPortClick = null, minimap }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const context = useMemo(() => ({ painter, onPortClick }), [painter, onPortClick]);
  const names = useMemo(() => graph.nodes.map((n) => n.id).sort(), [graph.nodes]);
  const showMinimap = minimap ?? graph.nodes.length <= 300;
  // A small model opens legible (values shown) even if it does not quite fit; a large one opens whole.
  const fitViewOptions = useMemo(
    () => ({ padding: 0.04, maxZoom: 1.2, minZoom: graph.nodes.length <= 150 ? DETAIL_ZOOM : undefined }),
    [graph.nodes.length],
  );
  return (
    <GraphContext.Provider value={context}>
      <div className="graph" ref={box} data-testid="model-graph" role="figure" aria-label="model graph">
        <ReactFlow
          nodes={graph.nodes}
          edges={graph.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onlyRenderVisibleElements
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          edgesFocusable={false}
          nodesFocusable={false}
          fitView
          fitViewOptions={fitViewOptions}
          minZoom={0.02}
          maxZoom={2.5}
          proOptions={proOptions}
        >
          <DetailSwitch painter={painter} box={box} />
          <FindComponent names={names} />
          <Background gap={24} size={1} />
          <Controls showInteractive={false} />
          {showMinimap ? <MiniMap pannable zoomable /> : null}
        </ReactFlow>
      </div>
    </GraphContext.Provider>
  );
}

export default memo(ModelGraphView);
