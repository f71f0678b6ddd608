import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { listEndpointsOptions, listScenariosOptions } from "../../client/@tanstack/react-query.gen";
import { createMachineModel, deleteProject, updateProject } from "../../client/sdk.gen";
import type { MachineModelRead, ProjectRead } from "../../client/types.gen";
import { unwrap } from "../../lib/api";
import { countOf } from "../../lib/format";
import { DetailsForm } from "./DetailsForm";
import { RenameAndDelete } from "./RenameAndDelete";

/** What goes with a project, as the database cascades it (app/db): its models with their parts, its endpoints,
 * scenarios, members and project tokens; runs stay, unlinked. */
function ProjectDeleteText({ project, models, open }: { project: ProjectRead; models: number; open: boolean }) {
  const endpoints = useQuery({ ...listEndpointsOptions({ query: { project_id: project.id, limit: 1 } }), enabled: open });
  const scenarios = useQuery({ ...listScenariosOptions({ query: { project_id: project.id, limit: 1 } }), enabled: open });
  return (
    <>
      <p data-testid="delete-consequences">
        Deleting <strong>{project.name}</strong> also deletes its {countOf(models, "machine model", "machine models")}{" "}
        (with their components, connections, PLC bindings and history), {countOf(endpoints.data?.total, "endpoint", "endpoints")}{" "}
        (with their PLC-write permissions), {countOf(scenarios.data?.total, "scenario", "scenarios")}, its members and the
        API tokens scoped to it.
      </p>
      <p className="muted">
        Simulation, scenario and campaign runs are kept with their results, no longer linked to the project. This cannot
        be undone.
      </p>
    </>
  );
}

/** Project admins: rename, describe, delete. */
export function ProjectAdminActions({ project, models }: { project: ProjectRead; models: number }) {
  return (
    <RenameAndDelete
      what="project"
      initial={{ name: project.name, description: project.description }}
      save={async (details) => unwrap(await updateProject({ path: { project_id: project.id }, body: details }))}
      remove={async () => unwrap(await deleteProject({ path: { project_id: project.id } }))}
      deletedLists={["listProjects"]}
      afterDeleteGoTo="/"
      consequences={(open) => <ProjectDeleteText project={project} models={models} open={open} />}
    />
  );
}

/** Engineers: a new, empty model (components are added over the API or by importing a document). */
export function NewModel({ projectId }: { projectId: number }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  if (!creating) {
    return (
      <button type="button" onClick={() => setCreating(true)}>
        New model
      </button>
    );
  }
  return (
    <DetailsForm
      label="new model"
      initial={{ name: "", description: "" }}
      submitLabel="Create model"
      save={async (details) => unwrap(await createMachineModel({ body: { project_id: projectId, ...details } }))}
      onSaved={async (model) => {
        navigate(`/models/${(model as MachineModelRead).id}`);
        await queryClient.invalidateQueries();
      }}
      onCancel={() => setCreating(false)}
    />
  );
}
