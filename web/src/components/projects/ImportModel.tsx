import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type DragEvent, useId, useState } from "react";
import { useNavigate } from "react-router";
import { importMachineModel } from "../../client/sdk.gen";
import type { ImportMachineModelData } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { documentContentType, formatProblem, problemsOf } from "../../lib/problems";

/** Import a model document (YAML or JSON) into a project: drop the file here or choose it. The API stores all of
 * it or nothing, and a refusal lists every problem with its place in the file, shown here as it came. */
export default function ImportModel({ projectId }: { projectId: number }) {
  const id = useId();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [dragging, setDragging] = useState(false);
  const [fileName, setFileName] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const contentType = documentContentType(file.name, file.type);
      if (!contentType) throw new Error(`${file.name} is neither YAML (.yaml, .yml) nor JSON (.json)`);
      const text = await file.text();
      return unwrap(
        await importMachineModel({
          query: { project_id: projectId },
          // The route takes the file's text as it is: sent unserialised, with the file's content type.
          body: text as unknown as ImportMachineModelData["body"],
          bodySerializer: null,
          headers: { "content-type": contentType },
        }),
      );
    },
    onSuccess: async (model) => {
      navigate(`/models/${model.id}`);
      await queryClient.invalidateQueries();
    },
  });
  const take = (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    upload.mutate(file);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    take(event.dataTransfer.files[0]);
  };
  const problems = problemsOf(upload.error);
  return (
    <section
      className={`panel dropzone${dragging ? " dragging" : ""}`}
      aria-label="import a model"
      data-testid="import-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <h2>Import a model</h2>
      <p className="hint">
        Drop a model document here (YAML or JSON, like <code>examples/heated_tank.yaml</code> or a model's export), or
        choose it. Nothing is stored unless all of it is valid.
      </p>
      <label htmlFor={`${id}-file`}>
        Model document
        <input
          id={`${id}-file`}
          type="file"
          accept=".yaml,.yml,.json,application/json,application/yaml"
          disabled={upload.isPending}
          onChange={(e) => {
            take(e.target.files?.[0]);
            e.target.value = ""; // the same file can be chosen again after fixing it
          }}
        />
      </label>
      {upload.isPending ? <p className="muted">Importing {fileName}…</p> : null}
      {upload.error ? (
        <div role="alert" data-testid="import-error">
          <p className="error">
            {fileName ? `${fileName} was not imported: ` : ""}
            {errorMessage(upload.error)}
          </p>
          {problems.length ? (
            <ul className="problems" aria-label="problems in the document">
              {problems.map((p, i) => (
                <li key={i}>{formatProblem(p)}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
