import { createBrowserRouter } from "react-router";
import AccountPage from "./routes/AccountPage";
import Layout from "./routes/Layout";
import MembersPage from "./routes/MembersPage";
import ModelPage from "./routes/ModelPage";
import NotFoundPage from "./routes/NotFoundPage";
import ProjectPage from "./routes/ProjectPage";
import ProjectsPage from "./routes/ProjectsPage";
import RunPage from "./routes/RunPage";
import ScenarioRunPage from "./routes/ScenarioRunPage";
import SignInPage from "./routes/SignInPage";
import UsersPage from "./routes/UsersPage";

/** Every page has a deep link that can be shared and reloaded (the server answers index.html for them). */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: "/", element: <ProjectsPage /> },
      { path: "/sign-in", element: <SignInPage /> },
      { path: "/account", element: <AccountPage /> },
      { path: "/users", element: <UsersPage /> },
      { path: "/projects/:id", element: <ProjectPage /> },
      { path: "/projects/:id/members", element: <MembersPage /> },
      { path: "/models/:id", element: <ModelPage /> },
      { path: "/runs/:id", element: <RunPage /> },
      { path: "/scenario-runs/:id", element: <ScenarioRunPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
