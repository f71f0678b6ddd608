import { useQueries, useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import {
  getProjectOptions,
  listMachineModelsOptions,
  listScenarioRunsOptions,
  listScenariosOptions,
  listSimulationsOptions,
} from "../client/@tanstack/react-query.gen";
import { mayIn, roleIn, useMe } from "../components/auth/session";
import { QueryState, parseId } from "../components/common/QueryState";
import { StatusBadge } from "../components/common/StatusBadge";
import ImportModel from "../components/projects/ImportModel";
import { NewModel, ProjectAdminActions } from "../components/projects/ProjectActions";
import { formatSeconds } from "../lib/format";

const RECENT = 10;

export default function ProjectPage() {
  const id = parseId(useParams().id) ?? 0;
  const project = useQuery(getProjectOptions({ path: { project_id: id } }));
  const me = useMe().data;
  const role = roleIn(me, id);
  const models = useQuery(listMachineModelsOptions({ query: { project_id: id, limit: 1000 } }));
  const scenarios = useQuery(listScenariosOptions({ query: { project_id: id, limit: 1000 } }));
  const runLists = useQueries({
    queries: (models.data?.items ?? []).map((m) => ({
      ...listSimulationsOptions({ query: { machine_model_id: m.id, limit: RECENT } }),
      refetchInterval: 5_000,
    })),
  });
  const scenarioRunLists = useQueries({
    queries: (scenarios.data?.items ?? []).map((s) => listScenarioRunsOptions({ path: { scenario_id: s.id }, query: { limit: RECENT } })),
  });
  const runs = runLists
    .flatMap((q) => q.data?.items ?? [])
    .sort((a, b) => b.id - a.id)
    .slice(0, RECENT);
  const scenarioRuns = scenarioRunLists
    .flatMap((q) => q.data?.items ?? [])
    .sort((a, b) => b.id - a.id)
    .slice(0, RECENT);

  return (
    <QueryState isPending={project.isPending} error={project.error} what="the project">
      {() => (
        <section>
          <p className="crumbs">
            <Link to="/">Projects</Link> /
          </p>
          <div className="title-row">
            <h1>{project.data!.name}</h1>
            {me?.mode === "multi-user" && role ? (
              <span className="role-badge" data-testid="my-role" title="your role in this project">
                {role}
              </span>
            ) : null}
            {role === "admin" && me?.mode === "multi-user" ? (
              <Link to={`/projects/${id}/members`} data-testid="members-link">
                Members and permissions
              </Link>
            ) : null}
          </div>
          {project.data!.description ? (
            <p className="muted" data-testid="project-description">
              {project.data!.description}
            </p>
          ) : null}
          {mayIn(me, id, "admin") ? (
            <div className="actions" aria-label="project actions">
              <ProjectAdminActions project={project.data!} models={models.data?.total ?? 0} />
            </div>
          ) : null}

          <div className="title-row">
            <h2>Machine models</h2>
            {mayIn(me, id, "engineer") ? <NewModel projectId={id} /> : null}
          </div>
          <QueryState isPending={models.isPending} error={models.error} what="models">
            {() =>
              models.data!.items.length ? (
                <ul className="cards" aria-label="machine models">
                  {models.data!.items.map((m) => (
                    <li key={m.id} className="card">
                      <Link to={`/models/${m.id}`} data-testid={`model-link-${m.id}`}>
                        {m.name}
                      </Link>
                      <p className="muted">{m.description}</p>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted">No models in this project yet.</p>
              )
            }
          </QueryState>
          {mayIn(me, id, "engineer") ? <ImportModel projectId={id} /> : null}

          <h2>Recent simulation runs</h2>
          {runs.length ? (
            <table className="table" aria-label="simulation runs">
              <thead>
                <tr>
                  <th>run</th>
                  <th>model</th>
                  <th>mode</th>
                  <th>status</th>
                  <th>simulated</th>
                  <th>started</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link to={`/runs/${run.id}`} data-testid={`run-link-${run.id}`}>
                        #{run.id}
                      </Link>
                    </td>
                    <td>{run.model_name}</td>
                    <td>{run.mode}</td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>{formatSeconds(run.sim_time)}</td>
                    <td>{run.started_at ? new Date(run.started_at).toLocaleString() : "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No simulation runs yet: open a model and start one.</p>
          )}

          <h2>Recent scenario runs</h2>
          {scenarioRuns.length ? (
            <table className="table" aria-label="scenario runs">
              <thead>
                <tr>
                  <th>run</th>
                  <th>scenario</th>
                  <th>status</th>
                  <th>verdict</th>
                  <th>assertions</th>
                </tr>
              </thead>
              <tbody>
                {scenarioRuns.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <Link to={`/scenario-runs/${run.id}`} data-testid={`scenario-run-link-${run.id}`}>
                        #{run.id}
                      </Link>
                    </td>
                    <td>{run.scenario_name}</td>
                    <td>
                      <StatusBadge status={run.status} />
                    </td>
                    <td>
                      <StatusBadge status={run.verdict ?? "–"} />
                    </td>
                    <td>
                      {(run.assertions_total ?? 0) - (run.assertions_failed ?? 0)} / {run.assertions_total ?? 0} passed
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">No scenario runs yet.</p>
          )}
        </section>
      )}
    </QueryState>
  );
}
