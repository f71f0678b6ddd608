import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { changePassword } from "../../client/sdk.gen";
import { errorMessage, unwrap } from "../../lib/api";

/** Change your own password: every other session of yours ends, this one stays signed in. */
export default function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const change = useMutation({
    mutationFn: async () =>
      unwrap(await changePassword({ body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setRepeat("");
    },
  });
  const mismatch = repeat !== "" && repeat !== next;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!mismatch) change.mutate();
  };

  return (
    <form className="panel" onSubmit={submit} aria-label="change password">
      <h2>Password</h2>
      <label className="stacked">
        Current password
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label className="stacked">
        New password (8 characters or more)
        <input type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label className="stacked">
        New password again
        <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
      </label>
      {mismatch ? <p className="error">The two new passwords differ.</p> : null}
      <button type="submit" disabled={change.isPending || mismatch}>
        Change password
      </button>
      {change.isSuccess ? (
        <p className="notice" role="status">
          Password changed. Your other sessions were signed out; API tokens stay valid.
        </p>
      ) : null}
      {change.error ? (
        <p className="error" role="alert">
          {errorMessage(change.error)}
        </p>
      ) : null}
    </form>
  );
}
