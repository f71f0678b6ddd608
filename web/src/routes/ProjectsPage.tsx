import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { listProjectsOptions } from "../client/@tanstack/react-query.gen";
import { useMe } from "../components/auth/session";
import { QueryState } from "../components/common/QueryState";

export default function ProjectsPage() {
  const projects = useQuery(listProjectsOptions({ query: { limit: 1000 } }));
  const me = useMe().data;
  return (
    <section>
      <h1>Projects</h1>
      <QueryState isPending={projects.isPending} error={projects.error} what="projects">
        {() =>
          projects.data!.items.length === 0 && me?.mode === "multi-user" ? (
            <p className="muted" data-testid="no-projects">
              You are not a member of any project yet: a project admin adds you on the project's Members page. Or create
              one with <code>POST /api/v1/projects</code>; you become its admin.
            </p>
          ) : projects.data!.items.length === 0 ? (
            <p className="muted">
              No projects yet. Create one and import a model over the API, e.g. <code>POST /api/v1/projects</code> then{" "}
              <code>POST /api/v1/machine-models/import?project_id=1</code> (see <a href="/docs">/docs</a>).
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
