import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { getMachineModelOptions } from "../client/@tanstack/react-query.gen";
import { atLeast, mayIn, roleIn, useMe } from "../components/auth/session";
import { QueryState, parseId } from "../components/common/QueryState";
import ModelGraphView from "../components/graph/ModelGraphView";
import { useModelGraph } from "../components/graph/useModelGraph";
import HistoryPanel from "../components/model/HistoryPanel";
import { ExportLinks, ModelEngineerActions } from "../components/model/ModelActions";
import StartRunForm from "../components/model/StartRunForm";

export default function ModelPage() {
  const id = parseId(useParams().id) ?? 0;
  const model = useQuery(getMachineModelOptions({ path: { machine_model_id: id } }));
  const { doc, graph, isPending, error } = useModelGraph(id);
  const me = useMe().data;
  return (
    <QueryState isPending={model.isPending || isPending} error={model.error ?? error} what="the model">
      {() => (
        <section className="model-page">
          <p className="crumbs">
            <Link to="/">Projects</Link> / <Link to={`/projects/${model.data!.project_id}`}>project</Link> /
          </p>
          <div className="title-row">
            <h1>{model.data!.name}</h1>
            <span className="muted" data-testid="model-summary">
              {doc.data!.components.length} components · {doc.data!.connections.length} connections · dt{" "}
              {doc.data!.dt} s{doc.data!.bindings?.length ? ` · ${doc.data!.bindings.length} PLC bindings` : ""}
            </span>
          </div>
          {model.data!.description ? (
            <p className="muted" data-testid="model-description">
              {model.data!.description}
            </p>
          ) : null}
          <div className="actions" aria-label="model actions">
            <ExportLinks model={model.data!} />
            {mayIn(me, model.data!.project_id, "engineer") ? <ModelEngineerActions model={model.data!} doc={doc.data!} /> : null}
          </div>
          <div className="model-layout">
            <div className="graph-pane">{graph ? <ModelGraphView graph={graph} /> : null}</div>
            <aside className="side">
              {me?.mode === "multi-user" && !atLeast(roleIn(me, model.data!.project_id), "operator") ? (
                <p className="notice" data-testid="observer-notice">
                  You are an observer in this project: an operator or above starts runs.
                </p>
              ) : (
                <StartRunForm modelId={id} hasBindings={!!doc.data!.bindings?.length} />
              )}
              <HistoryPanel modelId={id} />
            </aside>
          </div>
        </section>
      )}
    </QueryState>
  );
}
