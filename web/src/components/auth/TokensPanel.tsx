import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { listTokensOptions } from "../../client/@tanstack/react-query.gen";
import { createToken, revokeToken } from "../../client/sdk.gen";
import type { MeRead, TokenCreate, TokenCreated } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { QueryState } from "../common/QueryState";
import { ROLES, type Role } from "./session";

function when(value: string | null): string {
  return value ? new Date(value).toLocaleString() : "–";
}

/** Your API tokens for CI and scripts: create (shown once), see when each was last used, revoke. */
export default function TokensPanel({ me }: { me: MeRead }) {
  const queryClient = useQueryClient();
  const tokens = useQuery(listTokensOptions());
  const [name, setName] = useState("");
  const [projectId, setProjectId] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [expires, setExpires] = useState("90");
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: listTokensOptions().queryKey });
  const create = useMutation({
    mutationFn: async (body: TokenCreate) => unwrap(await createToken({ body })),
    onSuccess: async (token) => {
      setCreated(token);
      setName("");
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: async (id: number) => unwrap(await revokeToken({ path: { token_id: id } })),
    onSuccess: refresh,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      name,
      project_id: projectId ? Number(projectId) : null,
      role: role || null,
      expires_days: expires ? Number(expires) : null,
    });
  };
  const projectName = (id: number | null) =>
    id === null ? "all your projects" : (me.projects.find((p) => p.project_id === id)?.name ?? `project ${id}`);

  return (
    <section className="panel" aria-label="API tokens">
      <h2>API tokens</h2>
      <p className="hint">
        For CI and scripts: send <code>Authorization: Bearer dtw_…</code>. A token acts as you, limited to one project
        and a role if you choose; it never exceeds your own role.
      </p>
      <form className="form-row" onSubmit={submit} aria-label="create a token">
        <label className="stacked">
          Name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ci-nightly" />
        </label>
        <label className="stacked">
          Project
          <select value={projectId} onChange={(e) => setProjectId(e.target.value)} aria-label="token project">
            <option value="">all my projects</option>
            {me.projects.map((p) => (
              <option key={p.project_id} value={p.project_id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="stacked">
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role | "")} aria-label="token role">
            <option value="">my role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="stacked">
          Expires after (days)
          <input type="number" min="1" max="3650" className="short" value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="expires after days" placeholder="never" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.error ? (
        <p className="error" role="alert">
          {errorMessage(create.error)}
        </p>
      ) : null}
      {created ? (
        <div className="notice" data-testid="new-token">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it is shown this once and only its hash is stored.
          </p>
          <p className="secret" data-testid="new-token-value">
            {created.token}
          </p>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created.token)}>
            Copy
          </button>{" "}
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      <QueryState isPending={tokens.isPending} error={tokens.error} what="your tokens">
        {() =>
          tokens.data!.length === 0 ? (
            <p className="muted">No tokens yet.</p>
          ) : (
            <table className="table compact" aria-label="tokens">
              <thead>
                <tr>
                  <th>name</th>
                  <th>starts with</th>
                  <th>project</th>
                  <th>role</th>
                  <th>expires</th>
                  <th>last used</th>
                  <th>state</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.data!.map((t) => (
                  <tr key={t.id} data-testid={`token-${t.id}`}>
                    <td>{t.name}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>{projectName(t.project_id)}</td>
                    <td>{t.role ?? "mine"}</td>
                    <td>{t.expires_at ? when(t.expires_at) : "never"}</td>
                    <td>{when(t.last_used_at)}</td>
                    <td>
                      <span className={`status status-${t.state === "active" ? "running" : "failed"}`}>{t.state}</span>
                    </td>
                    <td>
                      {t.state === "active" ? (
                        <button
                          type="button"
                          className="danger"
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (window.confirm(`Revoke token "${t.name}"? Whatever uses it stops working at once.`)) revoke.mutate(t.id);
                          }}
                        >
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryState>
      {revoke.error ? (
        <p className="error" role="alert">
          {errorMessage(revoke.error)}
        </p>
      ) : null}
    </section>
  );
}
