import { Panel, useReactFlow } from "@xyflow/react";
import { type FormEvent, memo, useState } from "react";
import type { ComponentNode } from "./buildGraph";

/** Type a component's name to centre the view on it at a legible zoom (large models). */
function FindComponent({ names }: { names: string[] }) {
  const flow = useReactFlow<ComponentNode>();
  const [text, setText] = useState("");
  const [missing, setMissing] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const node = flow.getNode(text.trim());
    setMissing(!node);
    if (!node) return;
    const { width, height } = node.data;
    void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, {
      zoom: Math.max(flow.getZoom(), 1),
    });
  };
  return (
    <Panel position="top-left">
      <form className="find" onSubmit={submit} role="search" aria-label="find a component">
        <input
          list="graph-components"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="find a component"
          aria-label="find a component"
          aria-invalid={missing}
          data-testid="graph-search"
        />
        <datalist id="graph-components">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <button type="submit" data-testid="graph-search-go">
          Go
        </button>
      </form>
    </Panel>
  );
}

export default memo(FindComponent);
