import { useQuery } from "@tanstack/react-query";
import { listScenariosOptions } from "../../client/@tanstack/react-query.gen";
import { deleteMachineModel, updateMachineModel } from "../../client/sdk.gen";
import type { MachineModelRead } from "../../client/types.gen";
import { unwrap } from "../../lib/api";
import { countOf } from "../../lib/format";
import type { ModelDocument } from "../../lib/model";
import { RenameAndDelete } from "../projects/RenameAndDelete";

/** A file name for an exported document: the model's name, kept to safe characters. */
function fileName(model: MachineModelRead, ext: string): string {
  return `${model.name.replace(/[^\w.-]+/g, "_") || `model-${model.id}`}.${ext}`;
}

/** Everyone who sees a model may download its document, as YAML or JSON (GET .../export, the CLI's format). */
export function ExportLinks({ model }: { model: MachineModelRead }) {
  const href = (format: "yaml" | "json") => `/api/v1/machine-models/${model.id}/export?format=${format}`;
  return (
    <span className="inline" aria-label="export">
      Export:
      <a href={href("yaml")} download={fileName(model, "yaml")} data-testid="export-yaml">
        YAML
      </a>
      <a href={href("json")} download={fileName(model, "json")} data-testid="export-json">
        JSON
      </a>
    </span>
  );
}

/** What goes with a model, as the database cascades it: its parts, history and scenarios; runs stay, unlinked. */
function ModelDeleteText({ model, doc, open }: { model: MachineModelRead; doc: ModelDocument; open: boolean }) {
  const scenarios = useQuery({ ...listScenariosOptions({ query: { machine_model_id: model.id, limit: 1 } }), enabled: open });
  return (
    <>
      <p data-testid="delete-consequences">
        Deleting <strong>{model.name}</strong> also deletes its {countOf(doc.components.length, "component", "components")},{" "}
        {countOf(doc.connections.length, "connection", "connections")},{" "}
        {countOf(doc.bindings?.length ?? 0, "PLC binding", "PLC bindings")}, its history and{" "}
        {countOf(scenarios.data?.total, "scenario", "scenarios")}.
      </p>
      <p className="muted">
        Its simulation, scenario and campaign runs are kept with their results, no longer linked to the model; the
        project's endpoints stay. This cannot be undone.
      </p>
    </>
  );
}

/** Engineers: rename, describe, delete. */
export function ModelEngineerActions({ model, doc }: { model: MachineModelRead; doc: ModelDocument }) {
  return (
    <RenameAndDelete
      what="model"
      initial={{ name: model.name, description: model.description }}
      save={async (details) => unwrap(await updateMachineModel({ path: { machine_model_id: model.id }, body: details }))}
      remove={async () => unwrap(await deleteMachineModel({ path: { machine_model_id: model.id } }))}
      deletedLists={["listMachineModels"]}
      afterDeleteGoTo={`/projects/${model.project_id}`}
      consequences={(open) => <ModelDeleteText model={model} doc={doc} open={open} />}
    />
  );
}
