import { Link, Navigate, Outlet, useLocation } from "react-router";
import UserMenu from "../components/auth/UserMenu";
import { needsSignIn, useMe } from "../components/auth/session";
import { errorMessage } from "../lib/api";

export default function Layout() {
  const location = useLocation();
  const me = useMe();
  const onSignIn = location.pathname === "/sign-in";

  let content = <Outlet />;
  if (me.error && needsSignIn(me.error)) {
    if (!onSignIn) {
      const next = encodeURIComponent(location.pathname + location.search);
      content = <Navigate to={`/sign-in?next=${next}`} replace />;
    }
  } else if (me.error) {
    content = (
      <p className="error" role="alert">
        Could not reach the server: {errorMessage(me.error)}
      </p>
    );
  } else if (me.isPending) {
    content = <p className="muted">Loading…</p>;
  }

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand" data-testid="home-link">
          Digital twin console
        </Link>
        <nav aria-label="main">
          <Link to="/">Projects</Link>
          <a href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </nav>
        <span className="spacer" />
        {me.data ? <UserMenu me={me.data} /> : null}
      </header>
      <main className="page">{content}</main>
    </div>
  );
}
