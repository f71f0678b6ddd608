import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import type uPlot from "uplot";
import { errorMessage } from "../../lib/api";
import { parsePortValue } from "../../lib/format";
import type { LivePainter } from "../../lib/painter";
import type { StreamClient } from "../../lib/stream";
import { alignHistories } from "../../lib/trendData";
import type { GraphPort } from "../graph/buildGraph";
import TrendChart from "../trends/TrendChart";
import { useForceMutations } from "./forces";

const WINDOW = 20;

interface Props {
  runId: number;
  port: string;
  info: GraphPort | undefined;
  client: StreamClient;
  painter: LivePainter;
  active: boolean;
  onClose: () => void;
  onAddTrend: (port: string) => void;
}

/** A clicked port: its value, a trend of the last seconds, force with a typed value, release. */
export default function PortPanel({ runId, port, info, client, painter, active, onClose, onAddTrend }: Props) {
  const meta = client.port(port);
  const dataType = meta?.data_type ?? info?.dataType ?? "float";
  const unit = meta?.unit ?? info?.unit ?? null;
  const [text, setText] = useState(dataType === "bool" ? "true" : "");
  const [problem, setProblem] = useState<string | null>(null);
  const { force, release } = useForceMutations(runId);
  const chart = useRef<uPlot | null>(null);
  const valueRef = useRef<HTMLSpanElement>(null);

  useEffect(() => setText(dataType === "bool" ? "true" : ""), [port, dataType]);
  useEffect(() => {
    client.watch(port);
    return () => client.unwatch(port);
  }, [client, port]);
  useEffect(() => {
    const el = valueRef.current;
    return el ? painter.registerPort(port, "value", el) : undefined;
  }, [painter, port]);
  useEffect(
    () =>
      painter.addTask((c) => {
        chart.current?.setData(alignHistories([c.history(port)], c.t - WINDOW) as uPlot.AlignedData);
      }),
    [painter, port],
  );
  const onChart = useCallback((u: uPlot | null) => (chart.current = u), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    try {
      const value = parsePortValue(text, dataType);
      setProblem(null);
      force.mutate({ port, value });
    } catch (error) {
      setProblem(errorMessage(error));
    }
  };

  return (
    <section className="panel port-panel" aria-label={`port ${port}`} data-testid="port-panel">
      <div className="panel-head">
        <h2 data-testid="port-panel-name">{port}</h2>
        <button type="button" onClick={onClose} aria-label="close the port panel">
          ×
        </button>
      </div>
      <p>
        <span className="muted">
          {meta?.direction ?? ""} · {dataType}
          {unit ? ` · ${unit}` : ""}
        </span>
        {info?.binding ? (
          <span className="muted">
            {" "}
            · PLC {info.binding.direction} {info.binding.endpoint}: <code>{info.binding.nodeId}</code>
          </span>
        ) : null}
      </p>
      <p className="big-value">
        <span ref={valueRef} className="port-value" data-testid="port-panel-value" />
      </p>
      <TrendChart series={[{ label: port, unit }]} onChart={onChart} height={140} testId="port-trend" />
      {active ? (
        <form className="inline force-form" onSubmit={submit} aria-label="force this port">
          {dataType === "bool" ? (
            <select value={text} onChange={(e) => setText(e.target.value)} aria-label="force value" data-testid="force-value">
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              type="text"
              inputMode="decimal"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder={dataType === "int" ? "whole number" : "number"}
              aria-label="force value"
              data-testid="force-value"
              className="short"
            />
          )}
          <button type="submit" className="primary" disabled={force.isPending} data-testid="force-button">
            Force
          </button>
          <button type="button" onClick={() => release.mutate([port])} disabled={release.isPending} data-testid="release-button">
            Release
          </button>
        </form>
      ) : null}
      <button type="button" onClick={() => onAddTrend(port)} data-testid="add-to-trends">
        Add to trends
      </button>
      {problem || force.error || release.error ? (
        <p className="error" role="alert">
          {problem ?? errorMessage(force.error ?? release.error)}
        </p>
      ) : null}
    </section>
  );
}
