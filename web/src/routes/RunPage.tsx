import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import {
  getMachineModelOptions,
  getSimulationStatusOptions,
  getSimulationTelemetryOptions,
  listFaultsQueryKey,
  listSimulationForcesQueryKey,
} from "../client/@tanstack/react-query.gen";
import type { TelemetryRead } from "../client/types.gen";
import { atLeast, roleIn, useMe } from "../components/auth/session";
import { QueryState, parseId } from "../components/common/QueryState";
import { schemaGraph } from "../components/graph/buildGraph";
import ModelGraphView from "../components/graph/ModelGraphView";
import { useModelGraph } from "../components/graph/useModelGraph";
import EventsList from "../components/run/EventsList";
import FaultPanel from "../components/run/FaultPanel";
import ForcesList from "../components/run/ForcesList";
import HilPanel, { IoBanner } from "../components/run/HilPanel";
import PortPanel from "../components/run/PortPanel";
import RunBar, { isActive } from "../components/run/RunBar";
import RunProvenance from "../components/run/RunProvenance";
import { useRunStream, useStreamValue } from "../components/run/useRunStream";
import TrendsPanel from "../components/trends/TrendsPanel";

const FORCE_EVENTS = new Set(["force", "release"]);
const FAULT_EVENTS = new Set(["fault_injected", "fault_cleared"]);

/** The live console of a simulation run. */
export default function RunPage() {
  const id = parseId(useParams().id) ?? 0;
  const queryClient = useQueryClient();
  const runQuery = useQuery({
    ...getSimulationStatusOptions({ path: { run_id: id } }),
    refetchInterval: (query) => (isActive(query.state.data?.status) ? 5_000 : false),
  });
  const { client, painter } = useRunStream(id);
  const streamStatus = useStreamValue(client, ["status"], (c) => c.status);
  const connection = useStreamValue(client, ["connection"], (c) => c.state);
  const schema = useStreamValue(client, ["schema"], (c) => c.schema);
  const io = useStreamValue(client, ["io", "status"], (c) => c.io);
  const run = streamStatus ?? runQuery.data;
  const active = isActive(run?.status);
  const model = useModelGraph(run?.machine_model_id);
  // The caller's role decides which controls are offered; the API enforces it either way.
  const me = useMe().data;
  const modelRow = useQuery({
    ...getMachineModelOptions({ path: { machine_model_id: run?.machine_model_id ?? 0 } }),
    enabled: !!run?.machine_model_id,
  });
  const role = modelRow.data ? roleIn(me, modelRow.data.project_id) : null;
  const canOperate = me?.mode !== "multi-user" || role === null || atLeast(role, "operator");
  const graph = useMemo(
    () => model.graph ?? (run && run.machine_model_id === null && schema ? schemaGraph(schema.ports) : null),
    [model.graph, run, schema],
  );

  const [selected, setSelected] = useState<string | null>(null);
  const [trendPorts, setTrendPorts] = useState<string[]>([]);
  const onPortClick = useCallback((port: string) => setSelected(port), []);
  const addTrend = useCallback((port: string) => setTrendPorts((ports) => (ports.includes(port) ? ports : [...ports, port])), []);

  // Forces and faults lists follow the run's events (and their own mutations).
  useEffect(() => {
    let seen = client.events.length;
    return client.on((change) => {
      if (change !== "events") return;
      const fresh = client.events.slice(seen);
      seen = client.events.length;
      if (fresh.some((e) => FORCE_EVENTS.has(e.kind)))
        void queryClient.invalidateQueries({ queryKey: listSimulationForcesQueryKey({ path: { run_id: id } }) });
      if (fresh.some((e) => FAULT_EVENTS.has(e.kind)))
        void queryClient.invalidateQueries({ queryKey: listFaultsQueryKey({ path: { run_id: id } }) });
    });
  }, [client, queryClient, id]);

  const ended = !!run && !active;
  const telemetry = useQuery({
    ...getSimulationTelemetryOptions({ path: { run_id: id }, query: { format: "json" } }),
    enabled: ended && !!run?.record,
  });
  const telemetryData = telemetry.data as TelemetryRead | undefined;
  useEffect(() => {
    if (ended && telemetryData && trendPorts.length === 0) setTrendPorts(telemetryData.ports.slice(0, 4));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only the first time the recording arrives
  }, [ended, telemetryData]);

  const available = useMemo(() => {
    if (ended && telemetryData) return telemetryData.ports.map((name) => ({ name, unit: client.port(name)?.unit ?? null }));
    return (schema?.ports ?? []).map((p) => ({ name: p.name, unit: p.unit }));
  }, [ended, telemetryData, schema, client]);
  const components = useMemo(
    () => new Map((graph?.nodes ?? []).map((n) => [n.data.name, n.data.type] as [string, string])),
    [graph],
  );
  const portNames = useMemo(() => (schema?.ports ?? []).map((p) => p.name), [schema]);
  const live = useMemo(() => ({ client, painter }), [client, painter]);

  return (
    <QueryState isPending={!run && runQuery.isPending} error={run ? null : runQuery.error} what={`run ${id}`}>
      {() => (
        <section className="run-page">
          <p className="crumbs">
            <Link to="/">Projects</Link> /{" "}
            {run!.machine_model_id ? <Link to={`/models/${run!.machine_model_id}`}>{run!.model_name}</Link> : run!.model_name} /
            run #{id}
          </p>
          <RunBar run={run!} connection={connection} client={client} painter={painter} canOperate={canOperate} />
          <IoBanner io={io} />
          {runQuery.data ? <RunProvenance run={runQuery.data} ended={!active} canOperate={canOperate} /> : null}
          {!canOperate && active ? (
            <p className="notice" data-testid="observer-notice">
              You are an observer in this project: you can watch this run, but not stop it, force ports or inject faults.
            </p>
          ) : null}
          {ended ? (
            <p className="notice" data-testid="run-ended">
              This run has ended ({run!.status}): the graph shows its final values
              {run!.record ? " and the trends its recorded telemetry" : ""}.
            </p>
          ) : null}
          <div className="console">
            <div className="graph-pane">
              {graph ? (
                <ModelGraphView graph={graph} painter={painter} onPortClick={onPortClick} />
              ) : (
                <p className="muted">{model.error ? "The model could not be loaded." : "Loading the model…"}</p>
              )}
            </div>
            <aside className="side">
              {selected ? (
                <PortPanel
                  key={selected}
                  runId={id}
                  port={selected}
                  info={graph?.ports.get(selected)}
                  client={client}
                  painter={painter}
                  active={active && canOperate}
                  onClose={() => setSelected(null)}
                  onAddTrend={addTrend}
                />
              ) : null}
              <ForcesList runId={id} active={active} canOperate={canOperate} onSelect={setSelected} />
              <FaultPanel runId={id} active={active} canOperate={canOperate} ports={portNames} components={components} />
              {run!.mode === "hil" || io ? <HilPanel io={io} painter={painter} /> : null}
            </aside>
          </div>
          <TrendsPanel
            ports={trendPorts}
            setPorts={setTrendPorts}
            available={available}
            live={ended ? undefined : live}
            telemetry={ended ? (telemetryData ?? null) : undefined}
            fileStem={`run-${id}-trends`}
          />
          <EventsList client={client} />
        </section>
      )}
    </QueryState>
  );
}
