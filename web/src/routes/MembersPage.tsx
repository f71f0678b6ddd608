import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { getProjectOptions } from "../client/@tanstack/react-query.gen";
import { roleIn, useMe } from "../components/auth/session";
import { QueryState, parseId } from "../components/common/QueryState";
import MembersPanel from "../components/members/MembersPanel";
import PlcWritePanel from "../components/members/PlcWritePanel";

/** Project admins: who sees the project with which role, and who may write to its PLCs. */
export default function MembersPage() {
  const id = parseId(useParams().id) ?? 0;
  const me = useMe().data;
  const project = useQuery(getProjectOptions({ path: { project_id: id } }));
  return (
    <QueryState isPending={project.isPending} error={project.error} what="the project">
      {() => (
        <section className="stack">
          <p className="crumbs">
            <Link to="/">Projects</Link> / <Link to={`/projects/${id}`}>{project.data!.name}</Link> /
          </p>
          <h1>Members and permissions</h1>
          {roleIn(me, id) !== "admin" ? (
            <p className="notice">Only the project's admins manage its members; you are {roleIn(me, id) ?? "not a member"}.</p>
          ) : me?.mode === "local" ? (
            <p className="notice">Local single-user mode: there are no users to add yet. Create them with `python run.py users create NAME`.</p>
          ) : (
            <>
              <MembersPanel projectId={id} myUsername={me?.user?.username ?? null} />
              <PlcWritePanel projectId={id} />
            </>
          )}
        </section>
      )}
    </QueryState>
  );
}
