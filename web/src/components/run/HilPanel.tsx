import { useEffect } from "react";
import { formatNumber } from "../../lib/format";
import type { LivePainter } from "../../lib/painter";
import type { RunIo } from "../../lib/stream";
import { splitPort } from "../../lib/model";

function timing(t: { median?: number | null; p99?: number | null } | null | undefined): string {
  return t ? `${formatNumber(t.median ?? null)} / ${formatNumber(t.p99 ?? null)} ms` : "–";
}

/** Banner shown over the console while the PLC link is not healthy. */
export function IoBanner({ io }: { io: RunIo | null }) {
  if (!io?.state || io.state === "connected" || io.state === "closed") return null;
  const text =
    io.state === "connecting"
      ? "Connecting to the PLC…"
      : io.state === "degraded"
        ? `PLC connection lost: holding the last inputs and reconnecting (${io.reconnects} reconnects, ${formatNumber(io.seconds_degraded)} s degraded)`
        : `PLC connection failed${io.on_disconnect === "stop" ? ": the run stops" : ""}`;
  return (
    <div className={`banner banner-${io.state}`} role="status" data-testid="io-banner">
      {text}
    </div>
  );
}

/** Each endpoint's connection state, read/write timings and the bindings whose node failed. */
export default function HilPanel({ io, painter }: { io: RunIo | null; painter: LivePainter }) {
  const errors = (io?.binding_errors ?? []) as { port?: string; direction?: string; endpoint?: string; node_id?: string; error?: string }[];
  useEffect(() => {
    painter.setBindingErrors(errors.map((e) => splitPort(e.port ?? "")[0]));
  }, [painter, errors]);
  if (!io) return null;
  return (
    <section className="panel" aria-label="PLC connection" data-testid="hil-panel">
      <h2>
        PLC I/O <span className={`status status-${io.state ?? "unknown"}`} data-testid="io-state">{io.state ?? "—"}</span>
      </h2>
      <p className="muted">
        reads {timing(io.read_ms)} · writes {timing(io.write_ms)} (median / p99) · {io.reconnects} reconnects ·{" "}
        {formatNumber(io.seconds_degraded)} s degraded
      </p>
      {Object.keys(io.endpoints ?? {}).length ? (
        <table className="table compact" aria-label="endpoints">
          <thead>
            <tr>
              <th>endpoint</th>
              <th>state</th>
              <th>details</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(io.endpoints ?? {}).map(([name, info]) => {
              const { state, ...rest } = info as { state?: string } & Record<string, unknown>;
              return (
                <tr key={name} data-testid={`endpoint-${name}`}>
                  <td>{name}</td>
                  <td>
                    <span className={`status status-${state ?? "unknown"}`}>{state ?? "—"}</span>
                  </td>
                  <td className="muted">
                    {Object.entries(rest)
                      .filter(([, v]) => v !== null && typeof v !== "object")
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(" · ")}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {errors.length ? (
        <>
          <h3>Binding errors</h3>
          <ul className="list" aria-label="binding errors">
            {errors.map((e, i) => (
              <li key={i} className="error" data-testid="binding-error">
                {e.port} ({e.direction} {e.endpoint}: <code>{e.node_id}</code>): {e.error}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {io.opcua_server ? (
        <p className="muted" data-testid="served-twin">
          served twin: {String((io.opcua_server as Record<string, unknown>).url ?? "")}
        </p>
      ) : null}
    </section>
  );
}
