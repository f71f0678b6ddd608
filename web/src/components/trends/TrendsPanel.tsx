import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type uPlot from "uplot";
import { toCsv } from "../../lib/format";
import type { LivePainter } from "../../lib/painter";
import type { StreamClient } from "../../lib/stream";
import { type Columns, alignHistories, telemetryColumns } from "../../lib/trendData";
import TrendChart, { chartPng, download, shownRows } from "./TrendChart";

const WINDOWS = [10, 30, 60, 300, 600];

interface Props {
  /** Ports on the plot and how to change them (the console and the port panel share the list). */
  ports: string[];
  setPorts: (ports: string[]) => void;
  /** Ports that can be picked, with units. */
  available: { name: string; unit: string | null }[];
  /** Live: histories from the stream, redrawn once per animation frame. */
  live?: { client: StreamClient; painter: LivePainter };
  /** Ended run: its recorded telemetry. */
  telemetry?: { times: number[]; series: Record<string, unknown[]> } | null;
  fileStem: string;
}

/** Several ports on one plot: pick, pause, zoom (drag), last N seconds, export what is shown as CSV or PNG. */
export default function TrendsPanel({ ports, setPorts, available, live, telemetry, fileStem }: Props) {
  const [paused, setPaused] = useState(false);
  const [windowSeconds, setWindowSeconds] = useState(30);
  const [pick, setPick] = useState("");
  const chart = useRef<uPlot | null>(null);
  const units = useMemo(() => new Map(available.map((p) => [p.name, p.unit])), [available]);
  const series = useMemo(() => ports.map((p) => ({ label: p, unit: units.get(p) ?? null })), [ports, units]);

  // Keep histories of the plotted ports while they are on the plot.
  useEffect(() => {
    if (!live) return;
    for (const p of ports) live.client.watch(p);
    return () => {
      for (const p of ports) live.client.unwatch(p);
    };
  }, [live, ports]);

  const draw = useCallback(
    (columns: Columns, follow: boolean) => {
      const u = chart.current;
      if (!u) return;
      u.setData(columns as uPlot.AlignedData, !follow);
      if (follow && columns[0].length) {
        const last = columns[0][columns[0].length - 1]!;
        u.setScale("x", { min: Math.max(columns[0][0]!, last - windowSeconds), max: last });
      }
    },
    [windowSeconds],
  );

  // Live: redraw once per painted frame unless paused.
  useEffect(() => {
    if (!live || paused) return;
    return live.painter.addTask((client) => {
      const last = client.t;
      draw(alignHistories(ports.map((p) => client.history(p)), last - windowSeconds), true);
    });
  }, [live, paused, ports, windowSeconds, draw]);

  // Recorded telemetry: draw once per change of selection.
  const onChart = useCallback(
    (u: uPlot | null) => {
      chart.current = u;
      if (u && telemetry) draw(telemetryColumns(telemetry, ports), false);
    },
    [telemetry, ports, draw],
  );
  useEffect(() => {
    if (telemetry && chart.current) draw(telemetryColumns(telemetry, ports), false);
  }, [telemetry, ports, draw]);

  const add = (name: string) => {
    const port = name.trim();
    if (port && !ports.includes(port) && units.has(port)) setPorts([...ports, port]);
    setPick("");
  };

  const exportCsv = () => {
    if (!chart.current) return;
    const { header, rows } = shownRows(chart.current);
    download(`${fileStem}.csv`, new Blob([toCsv(header, rows)], { type: "text/csv" }));
  };
  const exportPng = async () => {
    if (!chart.current) return;
    const png = await chartPng(chart.current);
    if (png) download(`${fileStem}.png`, png);
  };

  return (
    <section className="panel trends" aria-label="trends" data-testid="trends-panel">
      <div className="panel-head">
        <h2>Trends</h2>
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            add(pick);
          }}
        >
          <input
            list="trend-ports"
            value={pick}
            onChange={(e) => setPick(e.target.value)}
            placeholder="add a port, e.g. tank.level"
            aria-label="port to add to the trends"
            data-testid="trend-port-input"
          />
          <datalist id="trend-ports">
            {available.map((p) => (
              <option key={p.name} value={p.name} />
            ))}
          </datalist>
          <button type="submit" data-testid="trend-add">
            Add
          </button>
        </form>
        {live ? (
          <>
            <label>
              last
              <select
                value={windowSeconds}
                onChange={(e) => setWindowSeconds(Number(e.target.value))}
                aria-label="time window"
                data-testid="trend-window"
              >
                {WINDOWS.map((w) => (
                  <option key={w} value={w}>
                    {w} s
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={() => setPaused(!paused)} data-testid="trend-pause" aria-pressed={paused}>
              {paused ? "Follow live" : "Pause"}
            </button>
          </>
        ) : null}
        <button type="button" onClick={exportCsv} disabled={!ports.length} data-testid="trend-export-csv">
          CSV
        </button>
        <button type="button" onClick={exportPng} disabled={!ports.length} data-testid="trend-export-png">
          PNG
        </button>
      </div>
      <ul className="chips" aria-label="ports on the plot">
        {ports.map((p) => (
          <li key={p} className="chip" data-testid={`trend-chip-${p}`}>
            {p}
            <button type="button" aria-label={`remove ${p} from the trends`} onClick={() => setPorts(ports.filter((x) => x !== p))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {ports.length ? (
        <TrendChart series={series} onChart={onChart} onZoom={() => setPaused(true)} testId="trend-chart" height={240} />
      ) : (
        <p className="muted">Pick ports to plot{live ? " (click a port on the graph, then 'Add to trends')" : ""}. Drag on the plot to zoom, double-click to zoom out.</p>
      )}
    </section>
  );
}
