import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { diffRevisionsOptions, getMachineModelOptions, listRevisionsOptions } from "../../client/@tanstack/react-query.gen";
import { restoreRevision } from "../../client/sdk.gen";
import type { ChangeRead } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { formatValue } from "../../lib/format";
import { atLeast, roleIn, useMe } from "../auth/session";
import { QueryState } from "../common/QueryState";

const SIGN: Record<string, string> = { added: "+", removed: "-" };

function changeLine(change: ChangeRead): string {
  const sign = SIGN[change.kind.split("_").pop() ?? ""] ?? "~";
  const what = change.kind.replace(/_(added|removed|changed|renamed)$/, "").replace("_", " ");
  const values = change.old !== null || change.new !== null ? `: ${formatValue(change.old)} → ${formatValue(change.new)}` : "";
  return `${sign} ${what} ${change.target}${values}`;
}

/** The model's revisions, newest first, the semantic diff of each, and (engineers) restoring an older one. */
export default function HistoryPanel({ modelId }: { modelId: number }) {
  const queryClient = useQueryClient();
  const me = useMe().data;
  const model = useQuery(getMachineModelOptions({ path: { machine_model_id: modelId } }));
  const canEdit = me?.mode !== "multi-user" || (!!model.data && atLeast(roleIn(me, model.data.project_id), "engineer"));
  const revisions = useQuery(listRevisionsOptions({ path: { machine_model_id: modelId }, query: { limit: 50 } }));
  const restore = useMutation({
    mutationFn: async (number: number) => unwrap(await restoreRevision({ path: { machine_model_id: modelId, number } })),
    // The model itself changed: every query of it (graph, document, history) is asked again.
    onSuccess: () => queryClient.invalidateQueries(),
  });
  const newest = revisions.data?.items[0]?.number;
  const [pair, setPair] = useState<{ from: number; to: number } | null>(null);
  const diff = useQuery({
    ...diffRevisionsOptions({ path: { machine_model_id: modelId }, query: { from: pair?.from ?? 1, to: pair?.to } }),
    enabled: pair !== null,
  });
  return (
    <section className="panel" aria-label="model history" data-testid="history-panel">
      <h2>History</h2>
      <QueryState isPending={revisions.isPending} error={revisions.error} what="the history">
        {() => (
          <ol className="list" aria-label="revisions">
            {revisions.data!.items.map((r) => (
              <li key={r.number} data-testid={`revision-${r.number}`}>
                <strong>r{r.number}</strong>
                <span className="muted">
                  {new Date(r.created_at).toLocaleString()}
                  {r.user ? ` · ${r.user}` : ""}
                </span>
                {r.summary.length ? <span>{r.summary[0]}{r.changes > 1 ? ` (+${r.changes - 1} more)` : ""}</span> : <span className="muted">created</span>}
                {r.number > 1 ? (
                  <button type="button" className="link" onClick={() => setPair({ from: r.number - 1, to: r.number })} data-testid={`revision-diff-${r.number}`}>
                    changes
                  </button>
                ) : null}
                <a href={`/api/v1/machine-models/${modelId}/revisions/${r.number}?format=yaml`} download={`model-r${r.number}.yaml`}>
                  YAML
                </a>
                {r.restored_from ? <span className="muted">restores r{r.restored_from}</span> : null}
                {canEdit && r.number !== newest ? (
                  <button
                    type="button"
                    className="link"
                    disabled={restore.isPending}
                    data-testid={`revision-restore-${r.number}`}
                    onClick={() => {
                      if (window.confirm(`Make the model what it was at r${r.number}? This adds a new revision; running simulations take it at once.`))
                        restore.mutate(r.number);
                    }}
                  >
                    restore
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </QueryState>
      {restore.error ? (
        <p className="error" role="alert">
          {errorMessage(restore.error)}
        </p>
      ) : null}
      {pair ? (
        <QueryState isPending={diff.isPending} error={diff.error} what="the changes">
          {() => (
            <div data-testid="revision-diff">
              <h3>
                r{diff.data!.from} → r{diff.data!.to}
              </h3>
              {diff.data!.changes.length ? (
                <ul className="list diff">
                  {diff.data!.changes.map((c, i) => (
                    <li key={i}>
                      <code>{changeLine(c)}</code>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted">No changes: the same model.</p>
              )}
            </div>
          )}
        </QueryState>
      ) : null}
    </section>
  );
}
