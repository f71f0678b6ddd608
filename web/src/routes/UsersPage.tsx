import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { listUsersOptions } from "../client/@tanstack/react-query.gen";
import { createUser, updateUser } from "../client/sdk.gen";
import type { UserUpdate } from "../client/types.gen";
import { useMe } from "../components/auth/session";
import { QueryState } from "../components/common/QueryState";
import { errorMessage, unwrap } from "../lib/api";

/** Platform admins: every user; create one, make them admin, deactivate (users are never deleted). */
export default function UsersPage() {
  const queryClient = useQueryClient();
  const me = useMe().data;
  const options = listUsersOptions({ query: { limit: 1000 } });
  const users = useQuery(options);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: options.queryKey });
  const create = useMutation({
    mutationFn: async () => unwrap(await createUser({ body: { username: username.trim(), password, is_admin: isAdmin } })),
    onSuccess: async () => {
      setUsername("");
      setPassword("");
      setIsAdmin(false);
      await refresh();
    },
  });
  const update = useMutation({
    mutationFn: async ({ id, body }: { id: number; body: UserUpdate }) => unwrap(await updateUser({ path: { user_id: id }, body })),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const failure = create.error ?? update.error;

  return (
    <section className="stack">
      <h1>Users</h1>
      <p className="hint">Add users to projects from each project's Members page. Deactivating signs a user out and refuses their tokens.</p>
      <form className="panel form-row" onSubmit={submit} aria-label="create a user">
        <label className="stacked">
          User name
          <input required maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9_.@\-]*" value={username} onChange={(e) => setUsername(e.target.value)} aria-label="new user name" />
        </label>
        <label className="stacked">
          Password (8+ characters)
          <input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} aria-label="new user password" />
        </label>
        <label>
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} /> platform admin
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create user
        </button>
      </form>
      {failure ? (
        <p className="error" role="alert">
          {errorMessage(failure)}
        </p>
      ) : null}
      <QueryState isPending={users.isPending} error={users.error} what="the users">
        {() => (
          <table className="table" aria-label="users">
            <thead>
              <tr>
                <th>user</th>
                <th>platform admin</th>
                <th>state</th>
                <th>created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.data!.items.map((u) => {
                const self = u.id === me?.user?.id;
                return (
                  <tr key={u.id} data-testid={`user-${u.username}`}>
                    <td>{u.username}</td>
                    <td>
                      <input
                        type="checkbox"
                        checked={u.is_admin}
                        disabled={self || update.isPending}
                        aria-label={`${u.username} is platform admin`}
                        onChange={(e) => update.mutate({ id: u.id, body: { is_admin: e.target.checked } })}
                      />
                    </td>
                    <td>{u.is_active ? "active" : "deactivated"}</td>
                    <td>{new Date(u.created_at).toLocaleDateString()}</td>
                    <td>
                      {self ? (
                        <span className="muted">you</span>
                      ) : (
                        <button type="button" disabled={update.isPending} onClick={() => update.mutate({ id: u.id, body: { is_active: !u.is_active } })}>
                          {u.is_active ? "Deactivate" : "Reactivate"}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
