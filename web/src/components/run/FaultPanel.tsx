import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";
import { listFaultsOptions } from "../../client/@tanstack/react-query.gen";
import { clearFault, injectFault, listFaultTypes } from "../../client/sdk.gen";
import type { FaultCreate } from "../../client/types.gen";
import { type FaultType, errorMessage, unwrap } from "../../lib/api";
import { formatSeconds } from "../../lib/format";
import { faultsKey } from "./forces";

type OptionSchema = NonNullable<FaultType["options"]["properties"]>[string];

interface Props {
  runId: number;
  active: boolean;
  /** Whether the caller may inject and clear faults (operator or above). */
  canOperate: boolean;
  ports: string[];
  /** Component name -> type, to offer component faults only where they apply. */
  components: Map<string, string>;
}

function optionKind(schema: OptionSchema): "number" | "boolean" | "enum" | "text" {
  if (schema.enum) return "enum";
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes("number") || types.includes("integer")) return "number";
  if (types.includes("boolean")) return "boolean";
  return "text";
}

/** Parse the option fields of a fault form; blank optional fields are left out. */
export function faultOptions(
  schema: FaultType["options"],
  fields: Record<string, string>,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const raw = (fields[name] ?? "").trim();
    if (raw === "") {
      if (schema.required?.includes(name)) throw new Error(`${name} is required`);
      continue;
    }
    const kind = optionKind(prop);
    if (kind === "number" || (kind === "text" && Array.isArray(prop.type) && prop.type.includes("number"))) {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`${name} must be a number`);
      options[name] = value;
    } else if (kind === "boolean") {
      options[name] = raw === "true";
    } else {
      options[name] = raw;
    }
  }
  return options;
}

/** Inject any fault type the API offers on a port or component, see the active ones, clear them. */
export default function FaultPanel({ runId, active, canOperate, ports, components }: Props) {
  const queryClient = useQueryClient();
  const types = useQuery({
    queryKey: ["fault-types"],
    queryFn: async () => unwrap(await listFaultTypes()) as FaultType[],
    staleTime: Infinity,
  });
  const faults = useQuery({
    ...listFaultsOptions({ path: { run_id: runId } }),
    enabled: active,
    refetchInterval: active ? 3_000 : false,
  });
  const [typeName, setTypeName] = useState("");
  const [target, setTarget] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const faultType = types.data?.find((t) => t.type === typeName) ?? types.data?.[0];
  const targets = useMemo(() => {
    if (!faultType) return [];
    if (faultType.target === "port") return ports;
    return [...components.entries()]
      .filter(([, type]) => !faultType.component_types || faultType.component_types.includes(type))
      .map(([name]) => name);
  }, [faultType, ports, components]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: faultsKey(runId) });
  const inject = useMutation({
    mutationFn: async (body: FaultCreate) => unwrap(await injectFault({ path: { run_id: runId }, body })),
    onSuccess: () => setFields({}),
    onSettled: refresh,
  });
  const clear = useMutation({
    mutationFn: async (faultId: number) => unwrap(await clearFault({ path: { run_id: runId, fault_id: faultId } })),
    onSettled: refresh,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!faultType) return;
    try {
      const where = target.trim();
      if (!where) throw new Error(`pick a ${faultType.target}`);
      const options = faultOptions(faultType.options, fields);
      setProblem(null);
      inject.mutate({
        type: faultType.type,
        ...(faultType.target === "port" ? { port: where } : { component: where }),
        ...options,
      } as FaultCreate);
    } catch (error) {
      setProblem(errorMessage(error));
    }
  };

  const list = active ? (faults.data ?? []) : [];
  return (
    <section className="panel" aria-label="faults" data-testid="fault-panel">
      <h2>Faults ({list.length})</h2>
      {list.length ? (
        <ul className="list" aria-label="active faults">
          {list.map((f) => (
            <li key={f.id} data-testid={`fault-row-${f.id}`}>
              <strong>{f.type}</strong> on {f.port ?? f.component} <span className="muted">({f.status}
              {f.ends_at !== null && f.ends_at !== undefined ? `, ends at ${formatSeconds(f.ends_at)}` : ""})</span>
              <button type="button" onClick={() => clear.mutate(f.id)} aria-label={`clear fault ${f.id}`} data-testid={`fault-clear-${f.id}`} disabled={!canOperate}>
                clear
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No active fault.</p>
      )}
      {active && canOperate && types.data ? (
        <form onSubmit={submit} aria-label="inject a fault" data-testid="fault-form">
          <label>
            type
            <select
              value={faultType?.type ?? ""}
              onChange={(e) => {
                setTypeName(e.target.value);
                setTarget("");
                setFields({});
              }}
              aria-label="fault type"
              data-testid="fault-type"
            >
              {types.data.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.type} ({t.target})
                </option>
              ))}
            </select>
          </label>
          {faultType ? <p className="hint">{faultType.description}</p> : null}
          <label>
            {faultType?.target ?? "target"}
            <input
              list="fault-targets"
              value={target}
              onChange={(e) => setTarget(e.target.value)}
              aria-label="fault target"
              data-testid="fault-target"
              placeholder={faultType?.target === "component" ? "component" : "component.port"}
            />
            <datalist id="fault-targets">
              {targets.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
          </label>
          {Object.entries(faultType?.options.properties ?? {}).map(([name, schema]) => {
            const kind = optionKind(schema);
            const required = faultType?.options.required?.includes(name);
            return (
              <label key={name} title={schema.description}>
                {name}
                {required ? " *" : ""}
                {kind === "enum" || kind === "boolean" ? (
                  <select
                    value={fields[name] ?? ""}
                    onChange={(e) => setFields({ ...fields, [name]: e.target.value })}
                    aria-label={`fault option ${name}`}
                    data-testid={`fault-option-${name}`}
                  >
                    <option value="">{schema.default !== undefined ? `default (${String(schema.default)})` : "—"}</option>
                    {(kind === "boolean" ? ["true", "false"] : (schema.enum ?? []).map(String)).map((v) => (
                      <option key={v} value={v}>
                        {v}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    type="text"
                    inputMode={kind === "number" ? "decimal" : undefined}
                    value={fields[name] ?? ""}
                    placeholder={schema.default !== undefined && schema.default !== null ? String(schema.default) : ""}
                    onChange={(e) => setFields({ ...fields, [name]: e.target.value })}
                    aria-label={`fault option ${name}`}
                    data-testid={`fault-option-${name}`}
                    className="short"
                  />
                )}
              </label>
            );
          })}
          <button type="submit" className="primary" disabled={inject.isPending} data-testid="fault-inject">
            Inject
          </button>
        </form>
      ) : null}
      {types.error ? <p className="muted">Fault types unavailable: {errorMessage(types.error)}</p> : null}
      {problem || inject.error || clear.error ? (
        <p className="error" role="alert">
          {problem ?? errorMessage(inject.error ?? clear.error)}
        </p>
      ) : null}
    </section>
  );
}
