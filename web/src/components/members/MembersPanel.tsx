import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { listMembersOptions } from "../../client/@tanstack/react-query.gen";
import { removeMember, setMember } from "../../client/sdk.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { ROLE_HELP, ROLES, type Role } from "../auth/session";
import { QueryState } from "../common/QueryState";

function RoleSelect({ value, onChange, label }: { value: Role; onChange: (role: Role) => void; label: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as Role)} aria-label={label} title={ROLE_HELP[value]}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** A project's members and roles (project admins): add a user by name, change a role, remove. */
export default function MembersPanel({ projectId, myUsername }: { projectId: number; myUsername: string | null }) {
  const queryClient = useQueryClient();
  const options = listMembersOptions({ path: { project_id: projectId } });
  const members = useQuery(options);
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("observer");
  const refresh = () => queryClient.invalidateQueries({ queryKey: options.queryKey });
  const save = useMutation({
    mutationFn: async ({ user, role }: { user: string; role: Role }) =>
      unwrap(await setMember({ path: { project_id: projectId, username: user }, body: { role } })),
    onSuccess: async (_data, { user }) => {
      if (user === username) setUsername("");
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async (user: string) => unwrap(await removeMember({ path: { project_id: projectId, username: user } })),
    onSuccess: refresh,
  });

  const add = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ user: username.trim(), role });
  };
  const failure = save.error ?? remove.error;

  return (
    <section className="panel" aria-label="members">
      <h2>Members</h2>
      <ul className="hint">
        {ROLES.map((r) => (
          <li key={r}>
            <strong>{r}</strong>: {ROLE_HELP[r]}
          </li>
        ))}
      </ul>
      <QueryState isPending={members.isPending} error={members.error} what="the members">
        {() => (
          <table className="table compact" aria-label="project members">
            <thead>
              <tr>
                <th>user</th>
                <th>role</th>
                <th>since</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {members.data!.map((m) => (
                <tr key={m.user_id} data-testid={`member-${m.username}`}>
                  <td>
                    {m.username}
                    {m.username === myUsername ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <RoleSelect value={m.role} label={`role of ${m.username}`} onChange={(r) => save.mutate({ user: m.username, role: r })} />
                  </td>
                  <td>{new Date(m.since).toLocaleDateString()}</td>
                  <td>
                    <button
                      type="button"
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(`Remove ${m.username} from this project? They will no longer see it.`)) remove.mutate(m.username);
                      }}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      <form className="form-row" onSubmit={add} aria-label="add a member">
        <label className="stacked">
          User name
          <input required maxLength={100} value={username} onChange={(e) => setUsername(e.target.value)} aria-label="member user name" />
        </label>
        <label className="stacked">
          Role
          <RoleSelect value={role} onChange={setRole} label="new member role" />
        </label>
        <button type="submit" className="primary" disabled={save.isPending}>
          Add member
        </button>
      </form>
      {failure ? (
        <p className="error" role="alert">
          {errorMessage(failure)}
        </p>
      ) : null}
    </section>
  );
}
