import { Link, Outlet } from "react-router";

export default function Layout() {
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
      </header>
      <main className="page">
        <Outlet />
      </main>
    </div>
  );
}
