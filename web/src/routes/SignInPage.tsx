import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { login } from "../client/sdk.gen";
import { safeNext, useMe } from "../components/auth/session";
import { errorMessage, unwrap } from "../lib/api";

/** Sign in with a user name and password; the server sets an HttpOnly session cookie the app then rides on. */
export default function SignInPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const signIn = useMutation({
    mutationFn: async () => unwrap(await login({ body: { username, password } })),
    onSuccess: async () => {
      setPassword("");
      // Everything cached so far was answered for nobody: start over as the signed-in user.
      queryClient.clear();
      await navigate(next, { replace: true });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };

  if (me.data?.mode === "local") {
    return (
      <section className="narrow">
        <h1>Sign in</h1>
        <p className="notice" data-testid="local-mode-sign-in">
          No user exists yet: this server runs in local single-user mode and needs no sign-in. Create the first user
          with <code>python run.py users create NAME --admin</code> to share it with a team.
        </p>
        <Link to="/">Go to the projects</Link>
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <form className="panel" onSubmit={submit} aria-label="sign in">
        <label className="stacked">
          User name
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            maxLength={100}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="stacked">
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={1000}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
        {signIn.error ? (
          <p className="error" role="alert">
            {errorMessage(signIn.error)}
          </p>
        ) : null}
      </form>
      <p className="hint">No account? A platform admin creates one (Users page, or <code>python run.py users create NAME</code>).</p>
    </section>
  );
}
