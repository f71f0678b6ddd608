// Automatic layered layout for models without saved positions: components flow left to right along
// their connections (longest-path layers, cycles broken where a depth-first walk finds them), ordered
// within a layer by the barycentre of their neighbours, tall layers wrapped into several columns.
// Linear in components + connections apart from the sorts: 1,000 components lay out in a few ms.

export interface LayoutBox {
  id: string;
  width: number;
  height: number;
}

export interface LayoutOptions {
  layerGap?: number;
  nodeGap?: number;
  /** Most boxes in one column before a layer wraps (default ~1.5 x sqrt(n), at least 8). */
  maxRows?: number;
}

export function layeredLayout(
  boxes: LayoutBox[],
  links: [string, string][],
  options: LayoutOptions = {},
): Map<string, { x: number; y: number }> {
  const layerGap = options.layerGap ?? 60;
  const nodeGap = options.nodeGap ?? 28;
  const n = boxes.length;
  const maxRows = options.maxRows ?? Math.max(8, Math.ceil(Math.sqrt(n) * 1.5));
  const indexOf = new Map(boxes.map((b, i) => [b.id, i]));
  const out: number[][] = boxes.map(() => []);
  const inc: number[][] = boxes.map(() => []);
  for (const [from, to] of links) {
    const a = indexOf.get(from);
    const b = indexOf.get(to);
    if (a === undefined || b === undefined || a === b) continue;
    out[a]!.push(b);
  }

  // Break cycles: an edge to a node still on the depth-first stack goes backwards; drop it.
  const stateOf = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const dag: number[][] = boxes.map(() => []);
  for (let root = 0; root < n; root++) {
    if (stateOf[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    stateOf[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [v, k] = top;
      const edges = out[v]!;
      if (k < edges.length) {
        top[1] = k + 1;
        const w = edges[k]!;
        if (stateOf[w] === 1) continue; // back edge
        dag[v]!.push(w);
        inc[w]!.push(v);
        if (stateOf[w] === 0) {
          stateOf[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        stateOf[v] = 2;
        stack.pop();
      }
    }
  }

  // Longest-path layers over the acyclic part (Kahn order).
  const layer = new Int32Array(n);
  const pending = Int32Array.from(inc, (list) => list.length);
  const queue: number[] = [];
  for (let v = 0; v < n; v++) if (pending[v] === 0) queue.push(v);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of dag[v]!) {
      layer[w] = Math.max(layer[w]!, layer[v]! + 1);
      pending[w] = pending[w]! - 1;
      if (pending[w] === 0) queue.push(w);
    }
  }
  // Pull sources next to their first consumer so constants do not pile up in layer 0.
  for (let v = 0; v < n; v++) {
    if (inc[v]!.length === 0 && dag[v]!.length > 0) {
      let nearest = Infinity;
      for (const w of dag[v]!) nearest = Math.min(nearest, layer[w]!);
      layer[v] = Math.max(0, nearest - 1);
    }
  }

  const layerCount = n ? Math.max(...layer) + 1 : 0;
  const layers: number[][] = Array.from({ length: layerCount }, () => []);
  for (let v = 0; v < n; v++) layers[layer[v]!]!.push(v);

  // Order within layers: barycentre sweeps, down then up.
  const position = new Float64Array(n);
  for (const members of layers) members.forEach((v, i) => (position[v] = i));
  const sweep = (members: number[], neighbours: number[][]) => {
    const key = new Float64Array(n);
    for (const v of members) {
      const list = neighbours[v]!;
      if (!list.length) key[v] = position[v]!;
      else {
        let sum = 0;
        for (const w of list) sum += position[w]!;
        key[v] = sum / list.length;
      }
    }
    members.sort((a, b) => key[a]! - key[b]! || a - b);
    members.forEach((v, i) => (position[v] = i));
  };
  for (let round = 0; round < 3; round++) {
    for (let l = 1; l < layerCount; l++) sweep(layers[l]!, inc);
    for (let l = layerCount - 2; l >= 0; l--) sweep(layers[l]!, dag);
  }

  // Coordinates: one or more columns per layer, boxes stacked top-down and centred on the tallest column.
  const positions = new Map<string, { x: number; y: number }>();
  const columns: number[][] = [];
  for (const members of layers) {
    const count = Math.max(1, Math.ceil(members.length / maxRows));
    const perColumn = Math.ceil(members.length / count);
    for (let c = 0; c < count; c++) columns.push(members.slice(c * perColumn, (c + 1) * perColumn));
  }
  const heightOf = (column: number[]) =>
    column.reduce((sum, v) => sum + boxes[v]!.height, 0) + Math.max(0, column.length - 1) * nodeGap;
  const tallest = Math.max(0, ...columns.map(heightOf));
  let x = 0;
  for (const column of columns) {
    let y = (tallest - heightOf(column)) / 2;
    let width = 0;
    for (const v of column) {
      const box = boxes[v]!;
      positions.set(box.id, { x, y });
      y += box.height + nodeGap;
      width = Math.max(width, box.width);
    }
    x += width + layerGap;
  }
  return positions;
}
