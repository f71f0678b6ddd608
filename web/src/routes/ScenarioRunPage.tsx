import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { getScenarioRunOptions } from "../client/@tanstack/react-query.gen";
import { rerunScenarioRun } from "../client/sdk.gen";
import { atLeast, roleIn, useMe } from "../components/auth/session";
import { QueryState, parseId } from "../components/common/QueryState";
import { StatusBadge } from "../components/common/StatusBadge";
import AssertionTimeline from "../components/scenario/AssertionTimeline";
import { errorMessage, unwrap } from "../lib/api";
import { formatSeconds, formatValue } from "../lib/format";

/** Verdicts of a scenario run, one row per assertion, with links to the JUnit and HTML reports. */
export default function ScenarioRunPage() {
  const id = parseId(useParams().id) ?? 0;
  const run = useQuery({
    ...getScenarioRunOptions({ path: { run_id: id } }),
    refetchInterval: (query) => (["pending", "running"].includes(query.state.data?.status ?? "") ? 1_000 : false),
  });
  const me = useMe().data;
  const navigate = useNavigate();
  const rerun = useMutation({
    mutationFn: async () => unwrap(await rerunScenarioRun({ path: { run_id: id } })),
    onSuccess: (created) => navigate(`/scenario-runs/${created.id}`),
  });
  return (
    <QueryState isPending={run.isPending} error={run.error} what={`scenario run ${id}`}>
      {() => {
        const r = run.data!;
        const done = r.status === "completed";
        const ended = !["pending", "running"].includes(r.status);
        const canRerun = me?.mode !== "multi-user" || atLeast(roleIn(me, r.project_id ?? 0), "operator");
        return (
          <section>
            <p className="crumbs">
              <Link to="/">Projects</Link> / {r.machine_model_id ? <Link to={`/models/${r.machine_model_id}`}>{r.model_name}</Link> : r.model_name} /
              scenario run #{r.id}
            </p>
            <div className="title-row">
              <h1>{r.scenario_name}</h1>
              <StatusBadge status={r.status} testId="scenario-status" />
              <StatusBadge status={r.verdict ?? "no verdict"} testId="scenario-verdict" />
              {r.degraded ? <StatusBadge status="degraded" testId="scenario-degraded" /> : null}
              {r.rerun_of ? (
                <Link to={`/scenario-runs/${r.rerun_of}`} data-testid="rerun-of-link">
                  rerun of #{r.rerun_of}
                </Link>
              ) : null}
              {ended && canRerun && r.document_hash ? (
                <button type="button" onClick={() => rerun.mutate()} disabled={rerun.isPending} data-testid="rerun-button">
                  {rerun.isPending ? "Starting…" : "Run again"}
                </button>
              ) : null}
            </div>
            {rerun.error ? (
              <p className="error" role="alert">
                {errorMessage(rerun.error)}
              </p>
            ) : null}
            <p className="muted">
              {r.assertions_total ?? 0} assertions, {r.assertions_failed ?? 0} failed · {formatSeconds(r.duration)} simulated
              at dt {r.dt} s, seed {r.seed} · took {formatSeconds(r.wall_time)}
              {done ? (
                <>
                  {" "}
                  · reports: <a href={`/api/v1/scenario-runs/${r.id}/junit`} data-testid="junit-link">JUnit XML</a>,{" "}
                  <a href={`/api/v1/scenario-runs/${r.id}/html`} target="_blank" rel="noreferrer" data-testid="html-link">
                    HTML
                  </a>
                </>
              ) : null}
            </p>
            {r.error ? (
              <p className="error" role="alert">
                {r.error}
              </p>
            ) : null}
            {(r.fault_periods ?? []).length ? (
              <p className="muted">
                Faults:{" "}
                {(r.fault_periods ?? [])
                  .map((f) => `${f.name} (${f.type} on ${f.target}, ${f.start}–${f.end} s)`)
                  .join("; ")}
              </p>
            ) : null}
            <ol className="assertions" aria-label="assertions">
              {(r.assertions ?? []).map((a) => (
                <li key={a.index} className={`panel assertion ${a.passed ? "pass" : "fail"}`} data-testid={`assertion-${a.index}`}>
                  <div className="panel-head">
                    <StatusBadge status={a.passed ? "passed" : "failed"} />
                    <h2>{a.name}</h2>
                    <span className="muted">{a.kind}</span>
                  </div>
                  <p>{a.description}</p>
                  <p>
                    expected <code>{a.expected}</code>
                    {a.actual !== null ? (
                      <>
                        , actual <code>{a.actual}</code>
                      </>
                    ) : null}
                    {a.time !== null ? ` at ${formatSeconds(a.time)}` : ""}
                  </p>
                  {!a.passed ? <p className="error">{a.message}</p> : <p className="muted">{a.message}</p>}
                  {Object.keys(a.values_at_time ?? {}).length ? (
                    <p className="muted">
                      {Object.entries(a.values_at_time ?? {})
                        .map(([port, value]) => `${port} = ${formatValue(value)}`)
                        .join(" · ")}
                    </p>
                  ) : null}
                  <AssertionTimeline assertion={a} duration={r.duration} faults={r.fault_periods ?? []} />
                </li>
              ))}
            </ol>
          </section>
        );
      }}
    </QueryState>
  );
}
