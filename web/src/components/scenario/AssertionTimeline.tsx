import type { AssertionResultRead, FaultPeriodRead } from "../../client/types.gen";
import { formatNumber } from "../../lib/format";

const WIDTH = 640;
const HEIGHT = 46;
const PAD = 8;

/**
 * One assertion over the scenario's time: its window, the fault periods, when it failed or was met,
 * and (for `after`) each trigger with its response. Hover a mark for its time. The API returns no
 * recorded series for scenario runs, so this is a timeline of the verdict, not a signal plot.
 */
export default function AssertionTimeline({
  assertion,
  duration,
  faults,
}: {
  assertion: AssertionResultRead;
  duration: number;
  faults: FaultPeriodRead[];
}) {
  const x = (t: number) => PAD + (Math.min(Math.max(t, 0), duration) / (duration || 1)) * (WIDTH - 2 * PAD);
  const colour = assertion.passed ? "#15803d" : "#dc2626";
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      className="timeline"
      role="img"
      aria-label={`timeline of ${assertion.name}`}
      data-testid={`timeline-${assertion.index}`}
    >
      <line x1={PAD} x2={WIDTH - PAD} y1={24} y2={24} stroke="#9ca3af" />
      {faults.map((f) => (
        <rect key={`f${f.fault}-${f.start}`} x={x(f.start)} width={Math.max(1, x(f.end) - x(f.start))} y={6} height={8} fill="#fca5a5">
          <title>
            fault {f.name} ({f.type} on {f.target}): {formatNumber(f.start)}–{formatNumber(f.end)} s
          </title>
        </rect>
      ))}
      {assertion.window ? (
        <rect
          x={x(assertion.window[0] ?? 0)}
          width={Math.max(1, x(assertion.window[1] ?? duration) - x(assertion.window[0] ?? 0))}
          y={17}
          height={14}
          fill="#c7d8fb"
        >
          <title>
            window {formatNumber(assertion.window[0])}–{formatNumber(assertion.window[1])} s
          </title>
        </rect>
      ) : null}
      {(assertion.trigger_times ?? []).map((t, i) => {
        const response = assertion.response_times?.[i];
        return (
          <g key={`t${i}`}>
            <circle cx={x(t)} cy={24} r={3} fill="#6b7280">
              <title>trigger at {formatNumber(t)} s</title>
            </circle>
            {response !== null && response !== undefined ? (
              <line x1={x(t)} x2={x(t + response)} y1={24} y2={24} stroke="#15803d" strokeWidth={3}>
                <title>
                  responded after {formatNumber(response)} s
                </title>
              </line>
            ) : null}
          </g>
        );
      })}
      {assertion.time !== null && assertion.time !== undefined ? (
        <line x1={x(assertion.time)} x2={x(assertion.time)} y1={12} y2={36} stroke={colour} strokeWidth={2.5}>
          <title>
            {assertion.passed ? "met" : "failed"} at {formatNumber(assertion.time)} s
          </title>
        </line>
      ) : null}
      <text x={PAD} y={44} fontSize={9} fill="#6b7280">
        0 s
      </text>
      <text x={WIDTH - PAD} y={44} fontSize={9} fill="#6b7280" textAnchor="end">
        {formatNumber(duration)} s
      </text>
    </svg>
  );
}
