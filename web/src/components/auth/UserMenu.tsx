import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { logout } from "../../client/sdk.gen";
import type { MeRead } from "../../client/types.gen";
import { unwrap } from "../../lib/api";

/** The top bar's right end: local mode said plainly, or the signed-in user with their account links. */
export default function UserMenu({ me }: { me: MeRead }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const menu = useRef<HTMLDetailsElement>(null);
  const { pathname } = useLocation();
  // The menu closes once one of its links has been followed.
  useEffect(() => {
    if (menu.current) menu.current.open = false;
  }, [pathname]);
  const signOut = useMutation({
    mutationFn: async () => unwrap(await logout()),
    onSettled: async () => {
      queryClient.clear();
      await navigate("/sign-in", { replace: true });
    },
  });

  if (me.mode === "local") {
    return (
      <span
        className="mode-badge"
        data-testid="local-mode"
        title="No user exists, so nobody signs in and the server only listens on a loopback address. Create the first user with `python run.py users create NAME --admin` to serve a team."
      >
        Local single-user mode · this machine only
      </span>
    );
  }
  const user = me.user;
  return (
    <details className="user-menu" data-testid="user-menu" ref={menu}>
      <summary aria-label="user menu">
        {user ? user.username : `token #${me.token_id}`}
        {user?.is_admin ? <span className="mode-badge">platform admin</span> : null} ▾
      </summary>
      <div className="menu" role="menu">
        <Link to="/account" role="menuitem">
          Account and API tokens
        </Link>
        {user?.is_admin ? (
          <Link to="/users" role="menuitem">
            Users
          </Link>
        ) : null}
        <button type="button" role="menuitem" className="link" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      </div>
    </details>
  );
}
