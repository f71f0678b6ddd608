import { createBrowserRouter } from "react-router";
import Layout from "./routes/Layout";
import ModelPage from "./routes/ModelPage";
import NotFoundPage from "./routes/NotFoundPage";
import ProjectPage from "./routes/ProjectPage";
import ProjectsPage from "./routes/ProjectsPage";
import RunPage from "./routes/RunPage";
import ScenarioRunPage from "./routes/ScenarioRunPage";

/** Every page has a deep link that can be shared and reloaded (the server answers index.html for them). */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: "/", element: <ProjectsPage /> },
      { path: "/projects/:id", element: <ProjectPage /> },
      { path: "/models/:id", element: <ModelPage /> },
      { path: "/runs/:id", element: <RunPage /> },
      { path: "/scenario-runs/:id", element: <ScenarioRunPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
