import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useNavigate } from "react-router";
import { startSimulation } from "../../client/sdk.gen";
import type { SimulationStart } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";

/** Start a simulation run of this model and open its live console. */
export default function StartRunForm({ modelId, hasBindings }: { modelId: number; hasBindings: boolean }) {
  const navigate = useNavigate();
  const [openEnded, setOpenEnded] = useState(true);
  const [duration, setDuration] = useState("60");
  const [realtime, setRealtime] = useState(true);
  const [timeScale, setTimeScale] = useState("1");
  const [seed, setSeed] = useState("0");
  const [mode, setMode] = useState<"sim" | "hil">("sim");
  const [record, setRecord] = useState("*");
  const start = useMutation({
    mutationFn: async (body: SimulationStart) => unwrap(await startSimulation({ body })),
    onSuccess: (run) => navigate(`/runs/${run.id}`),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ports = record
      .split(/[,\s]+/)
      .map((p) => p.trim())
      .filter(Boolean);
    const body: SimulationStart = {
      machine_model_id: modelId,
      mode,
      realtime,
      time_scale: Number(timeScale),
      seed: Number(seed),
      duration: openEnded ? null : Number(duration),
      record: ports.length ? { ports: ports.includes("*") ? null : ports, every: 1 } : null,
    };
    start.mutate(body);
  };

  return (
    <form className="panel" onSubmit={submit} aria-label="start a run" data-testid="start-run-form">
      <h2>Start a run</h2>
      <fieldset>
        <legend>Duration</legend>
        <label>
          <input type="radio" name="duration" checked={openEnded} onChange={() => setOpenEnded(true)} /> open-ended (until
          stopped)
        </label>
        <label>
          <input type="radio" name="duration" checked={!openEnded} onChange={() => setOpenEnded(false)} /> for
          <input
            type="number"
            min="0.001"
            step="any"
            value={duration}
            disabled={openEnded}
            onChange={(e) => setDuration(e.target.value)}
            aria-label="duration in simulated seconds"
            className="short"
          />
          s
        </label>
      </fieldset>
      <label>
        <input
          type="checkbox"
          checked={realtime}
          onChange={(e) => setRealtime(e.target.checked)}
          data-testid="start-realtime"
        />{" "}
        paced to the wall clock
      </label>
      <label>
        time scale
        <input
          type="number"
          min="0.1"
          max="100"
          step="any"
          value={timeScale}
          disabled={!realtime}
          onChange={(e) => setTimeScale(e.target.value)}
          aria-label="time scale"
          className="short"
        />
        × real time
      </label>
      <label>
        seed
        <input type="number" step="1" value={seed} onChange={(e) => setSeed(e.target.value)} aria-label="seed" className="short" />
      </label>
      <fieldset>
        <legend>Mode</legend>
        <label>
          <input type="radio" name="mode" checked={mode === "sim"} onChange={() => setMode("sim")} /> simulation
        </label>
        <label title={hasBindings ? "" : "the model has no PLC bindings"}>
          <input
            type="radio"
            name="mode"
            checked={mode === "hil"}
            disabled={!hasBindings}
            onChange={() => setMode("hil")}
          />{" "}
          hardware in the loop
        </label>
      </fieldset>
      <label>
        record ports
        <input
          type="text"
          value={record}
          onChange={(e) => setRecord(e.target.value)}
          placeholder="tank.*, heater.temperature"
          aria-label="record ports (globs)"
        />
      </label>
      <p className="hint">Globs over component.port, comma-separated; * records every port, empty records nothing.</p>
      <button type="submit" className="primary" disabled={start.isPending} data-testid="start-run">
        {start.isPending ? "Starting…" : "Start run"}
      </button>
      {start.error ? (
        <p className="error" role="alert">
          {errorMessage(start.error)}
        </p>
      ) : null}
    </form>
  );
}
