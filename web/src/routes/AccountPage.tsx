import PasswordForm from "../components/auth/PasswordForm";
import TokensPanel from "../components/auth/TokensPanel";
import { useMe } from "../components/auth/session";

/** The signed-in user's own page: who they are, their projects and roles, password and API tokens. */
export default function AccountPage() {
  const me = useMe().data;
  if (!me) return null;
  if (me.mode === "local" || !me.user) {
    return (
      <section>
        <h1>Account</h1>
        <p className="notice">
          {me.mode === "local"
            ? "Local single-user mode: there are no accounts yet. Create the first user with `python run.py users create NAME --admin`; then passwords and API tokens are managed here."
            : "You are using an API token; sign in with a user name and password to manage your account."}
        </p>
      </section>
    );
  }
  return (
    <section className="stack">
      <h1>{me.user.username}</h1>
      <p className="muted">
        {me.user.is_admin ? "Platform admin (manages users; admin in every project). " : null}
        Your projects:{" "}
        {me.projects.length
          ? me.projects.map((p, i) => (
              <span key={p.project_id}>
                {i ? ", " : ""}
                {p.name} <span className="role-badge">{p.role}</span>
              </span>
            ))
          : "none yet (a project admin adds you)"}
      </p>
      <TokensPanel me={me} />
      <PasswordForm />
    </section>
  );
}
