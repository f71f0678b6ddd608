import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { listProjectsOptions } from "../client/@tanstack/react-query.gen";
import { createProject } from "../client/sdk.gen";
import type { ProjectRead } from "../client/types.gen";
import { useMe } from "../components/auth/session";
import { QueryState } from "../components/common/QueryState";
import { DetailsForm } from "../components/projects/DetailsForm";
import { unwrap } from "../lib/api";

export default function ProjectsPage() {
  const projects = useQuery(listProjectsOptions({ query: { limit: 1000 } }));
  const me = useMe().data;
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <div className="title-row">
        <h1>Projects</h1>
        {/* Anyone signed in may create a project and becomes its admin. */}
        {me && !creating ? (
          <button type="button" onClick={() => setCreating(true)}>
            New project
          </button>
        ) : null}
      </div>
      {creating ? (
        <DetailsForm
          label="new project"
          initial={{ name: "", description: "" }}
          submitLabel="Create project"
          save={async (details) => unwrap(await createProject({ body: details }))}
          onSaved={async (project) => {
            await queryClient.invalidateQueries(); // the lists, and /auth/me: the creator is now its admin
            navigate(`/projects/${(project as ProjectRead).id}`);
          }}
          onCancel={() => setCreating(false)}
        />
      ) : null}
      <QueryState isPending={projects.isPending} error={projects.error} what="projects">
        {() =>
          projects.data!.items.length === 0 && me?.mode === "multi-user" ? (
            <p className="muted" data-testid="no-projects">
              You are not a member of any project yet: a project admin adds you on the project's Members page. Or create
              one with <em>New project</em>; you become its admin.
            </p>
          ) : projects.data!.items.length === 0 ? (
            <p className="muted">
              No projects yet. Create one with <em>New project</em>, then import a model document (YAML or JSON) on its
              page, or over the API (see <a href="/docs">/docs</a>).
            </p>
          ) : (
            <ul className="cards" aria-label="projects">
              {projects.data!.items.map((project) => (
                <li key={project.id} className="card">
                  <Link to={`/projects/${project.id}`} data-testid={`project-link-${project.id}`}>
                    {project.name}
                  </Link>
                  {project.description ? <p className="muted">{project.description}</p> : null}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
