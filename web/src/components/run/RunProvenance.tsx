import { useMutation } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";
import { rerunSimulation } from "../../client/sdk.gen";
import type { SimulationRead } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";

/** What a run simulated (the stored document, by hash), what it reran, whether it was degraded, and "run again". */
export default function RunProvenance({ run, ended, canOperate }: { run: SimulationRead; ended: boolean; canOperate: boolean }) {
  const navigate = useNavigate();
  const rerun = useMutation({
    mutationFn: async () => unwrap(await rerunSimulation({ path: { run_id: run.id } })),
    onSuccess: (created) => navigate(`/runs/${created.id}`),
  });
  if (!run.document_hash && !run.rerun_of && !run.degraded) return null;
  return (
    <p className="provenance" data-testid="run-provenance">
      {run.document_hash ? (
        <>
          simulated model{" "}
          <a href={`/api/v1/simulations/${run.id}/model?format=yaml`} data-testid="run-model-link" title={run.document_hash}>
            {run.document_hash.slice(0, 12)}
          </a>
        </>
      ) : null}
      {run.rerun_of ? (
        <>
          {" "}
          · rerun of{" "}
          <Link to={`/runs/${run.rerun_of}`} data-testid="rerun-of-link">
            #{run.rerun_of}
          </Link>
        </>
      ) : null}
      {run.degraded ? (
        <span className="status status-degraded" data-testid="run-degraded" title="a PLC connection was lost, a read was stale or bad, or a write was dropped">
          degraded
        </span>
      ) : null}
      {ended && canOperate && run.document_hash ? (
        <button type="button" onClick={() => rerun.mutate()} disabled={rerun.isPending} data-testid="rerun-button">
          {rerun.isPending ? "Starting…" : "Run again"}
        </button>
      ) : null}
      {rerun.error ? (
        <span className="error" role="alert">
          {errorMessage(rerun.error)}
        </span>
      ) : null}
    </p>
  );
}
