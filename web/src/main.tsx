import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { isMeKey, needsSignIn } from "./components/auth/session";
import "./lib/api";
import { router } from "./router";
import "./styles.css";

// A 401 anywhere (session expired, signed out elsewhere, token revoked) asks "who am I?" again; the layout
// then sends the user to the sign-in page and back to where they were.
function onApiError(error: unknown) {
  if (needsSignIn(error)) void queryClient.invalidateQueries({ predicate: (query) => isMeKey(query.queryKey) });
}

const queryClient = new QueryClient({
  // The me query's own 401 is what the layout reads: refetching it from here would loop.
  queryCache: new QueryCache({ onError: (error, query) => isMeKey(query.queryKey) || onApiError(error) }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
