import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { stopSimulation, updateSimulation } from "../../client/sdk.gen";
import type { SimulationRead } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { formatMillis, formatNumber, formatSeconds } from "../../lib/format";
import type { LivePainter } from "../../lib/painter";
import type { ConnectionState, StreamClient } from "../../lib/stream";
import { StatusBadge } from "../common/StatusBadge";

const ACTIVE = new Set(["pending", "running", "degraded"]);

export function isActive(status: string | undefined): boolean {
  return !!status && ACTIVE.has(status);
}

interface Props {
  run: SimulationRead;
  connection: ConnectionState;
  client: StreamClient;
  painter: LivePainter;
  /** Whether the caller may stop the run and change its time scale (operator or above). */
  canOperate: boolean;
}

/** Status, simulated time, tick, real-time factor, overruns and lateness; stop; time scale of paced runs. */
export default function RunBar({ run, connection, client, painter, canOperate }: Props) {
  const queryClient = useQueryClient();
  const timeRef = useRef<HTMLSpanElement>(null);
  const tickRef = useRef<HTMLSpanElement>(null);
  const active = isActive(run.status);
  const [scale, setScale] = useState(String(run.time_scale));
  useEffect(() => setScale(String(run.time_scale)), [run.time_scale]);

  // Simulated time and tick change with every frame: written by the painter, not by React.
  useEffect(
    () =>
      painter.addTask((c) => {
        const t = c.frameCount ? c.t : run.sim_time;
        const tick = c.frameCount ? c.tick : run.tick;
        if (timeRef.current) timeRef.current.textContent = formatSeconds(t);
        if (tickRef.current) tickRef.current.textContent = String(tick);
      }),
    [painter, run.sim_time, run.tick],
  );

  const stop = useMutation({
    mutationFn: async () => unwrap(await stopSimulation({ path: { run_id: run.id } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [{ _id: "getSimulationStatus" }] }),
  });
  const changeScale = useMutation({
    mutationFn: async (timeScale: number) =>
      unwrap(await updateSimulation({ path: { run_id: run.id }, body: { time_scale: timeScale } })),
  });

  return (
    <div className="runbar" role="region" aria-label="run bar" data-testid="run-bar">
      <span>
        <StatusBadge status={run.status} testId="run-status" />
      </span>
      <span className={`conn conn-${connection}`} data-testid="stream-state" title="live stream">
        {connection === "open" ? "live" : connection}
      </span>
      <span>
        t = <span ref={timeRef} data-testid="run-sim-time">{formatSeconds(run.sim_time)}</span>
      </span>
      <span>
        tick <span ref={tickRef} data-testid="run-tick">{run.tick}</span>
      </span>
      <span title="simulated seconds per wall-clock second" data-testid="run-rtf">
        RTF {run.real_time_factor === null || run.real_time_factor === undefined ? "–" : `${formatNumber(run.real_time_factor)}×`}
      </span>
      {run.realtime ? (
        <>
          <span data-testid="run-overruns">overruns {run.overruns}</span>
          <span title="mean / max lateness of tick starts">
            late {formatMillis(run.mean_lateness)} / {formatMillis(run.max_lateness)}
          </span>
        </>
      ) : (
        <span className="muted">as fast as possible</span>
      )}
      <span className="muted">
        {run.mode} · dt {run.dt} s{run.duration ? ` · ${formatSeconds(run.duration)}` : " · open-ended"} · seed {run.seed}
      </span>
      <span className="spacer" />
      {run.realtime && active && canOperate ? (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            changeScale.mutate(Number(scale));
          }}
        >
          <label>
            time scale
            <input
              type="number"
              min="0.1"
              max="100"
              step="any"
              value={scale}
              onChange={(e) => setScale(e.target.value)}
              className="short"
              aria-label="time scale"
              data-testid="time-scale-input"
            />
            ×
          </label>
          <button type="submit" data-testid="time-scale-apply" disabled={changeScale.isPending}>
            Set
          </button>
        </form>
      ) : null}
      {active && canOperate ? (
        <button type="button" className="danger" onClick={() => stop.mutate()} disabled={stop.isPending} data-testid="stop-run">
          {stop.isPending ? "Stopping…" : "Stop"}
        </button>
      ) : null}
      {stop.error || changeScale.error ? (
        <span className="error" role="alert">
          {errorMessage(stop.error ?? changeScale.error)}
        </span>
      ) : null}
      {run.error ? (
        <span className="error" data-testid="run-error">
          {run.error}
        </span>
      ) : null}
      {client.closeInfo && connection === "failed" ? (
        <span className="error" role="alert" data-testid="stream-error">
          stream closed: {client.closeInfo.reason || client.closeInfo.code}
        </span>
      ) : null}
    </div>
  );
}
