import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export const SERIES_COLOURS = ["#2f6fde", "#e07b00", "#00897b", "#c2185b", "#8a3ffc", "#6d4c41", "#1e88e5", "#7cb342"];

export interface TrendSeries {
  label: string;
  unit?: string | null;
}

interface Props {
  series: TrendSeries[];
  height?: number;
  /** Called once the chart exists (and with null when it goes); the owner feeds it with setData. */
  onChart: (chart: uPlot | null) => void;
  /** The user dragged a range on the plot (it zooms to it). */
  onZoom?: () => void;
  testId?: string;
}

/** A uPlot line chart sized to its container; data comes from the owner, not through React. */
export default function TrendChart({ series, height = 220, onChart, onZoom, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const onZoomRef = useRef(onZoom);
  onZoomRef.current = onZoom;
  const seriesKey = series.map((s) => `${s.label}[${s.unit ?? ""}]`).join("|");

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [{ label: "simulated time [s]", size: 40 }, { size: 60 }],
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { live: true },
      series: [
        { label: "t [s]" },
        ...series.map((s, i) => ({
          label: s.unit ? `${s.label} [${s.unit}]` : s.label,
          stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
          width: 1.5,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      hooks: {
        setSelect: [
          (u: uPlot) => {
            if (u.select.width > 0) onZoomRef.current?.();
          },
        ],
      },
    };
    const chart = new uPlot(options, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    onChart(chart);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      onChart(null);
      chart.destroy();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rebuilt when the series change, not on every render
  }, [seriesKey, height]);

  return <div ref={box} className="trend-chart" data-testid={testId} />;
}

/** The x-range shown and the data inside it, as CSV rows (time first). */
export function shownRows(chart: uPlot): { header: string[]; rows: unknown[][] } {
  const xs = chart.data[0] as ArrayLike<number>;
  const min = chart.scales.x?.min ?? -Infinity;
  const max = chart.scales.x?.max ?? Infinity;
  const header = chart.series.map((s, i) => (i === 0 ? "time" : String(s.label ?? `series ${i}`)));
  const rows: unknown[][] = [];
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k]!;
    if (x < min || x > max) continue;
    rows.push([x, ...chart.data.slice(1).map((col) => (col as ArrayLike<number | null>)[k] ?? "")]);
  }
  return { header, rows };
}

/** The chart as a PNG (white background, legend-free canvas). */
export function chartPng(chart: uPlot): Promise<Blob | null> {
  const source = chart.ctx.canvas;
  const canvas = document.createElement("canvas");
  canvas.width = source.width;
  canvas.height = source.height;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
