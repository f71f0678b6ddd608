import { defineConfig } from "@hey-api/openapi-ts";

// The client is generated from the platform's own OpenAPI document (web/openapi.json, written by
// `python -m app.cli.openapi`), so it cannot drift from the API. Regenerate with `npm run gen`.
export default defineConfig({
  input: "openapi.json",
  output: { path: "src/client" },
  plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk", "@tanstack/react-query"],
});
