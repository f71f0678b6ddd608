import { useQuery } from "@tanstack/react-query";
import { listSimulationForcesOptions } from "../../client/@tanstack/react-query.gen";
import { errorMessage } from "../../lib/api";
import { formatValue } from "../../lib/format";
import { useForceMutations } from "./forces";

/** Every active force of the run, each releasable, and "release all". */
export default function ForcesList({
  runId,
  active,
  canOperate,
  onSelect,
}: {
  runId: number;
  active: boolean;
  canOperate: boolean;
  onSelect: (port: string) => void;
}) {
  const forces = useQuery({
    ...listSimulationForcesOptions({ path: { run_id: runId } }),
    enabled: active,
    refetchInterval: active ? 3_000 : false,
  });
  const { release } = useForceMutations(runId);
  const items = active ? (forces.data ?? []) : [];
  const keys = items.map((f) => `${f.component}.${f.port}`);
  return (
    <section className="panel" aria-label="forces" data-testid="forces-panel">
      <div className="panel-head">
        <h2>Forces ({items.length})</h2>
        <button
          type="button"
          onClick={() => release.mutate(keys)}
          disabled={!items.length || release.isPending || !canOperate}
          data-testid="release-all"
        >
          Release all
        </button>
      </div>
      {items.length ? (
        <ul className="list" aria-label="active forces">
          {items.map((f) => {
            const key = `${f.component}.${f.port}`;
            return (
              <li key={key} data-testid={`force-row-${key}`}>
                <button type="button" className="link" onClick={() => onSelect(key)}>
                  {key}
                </button>{" "}
                = <strong>{formatValue(f.value)}</strong> {f.applied ? null : <span className="muted">(pending)</span>}
                <button type="button" onClick={() => release.mutate([key])} aria-label={`release ${key}`} disabled={!canOperate}>
                  release
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted">No port is forced. Click a port on the graph to force it.</p>
      )}
      {release.error ? (
        <p className="error" role="alert">
          {errorMessage(release.error)}
        </p>
      ) : null}
    </section>
  );
}
