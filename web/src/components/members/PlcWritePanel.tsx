import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { listEndpointsOptions, listGrantsOptions } from "../../client/@tanstack/react-query.gen";
import { grantPlcWrite, revokePlcWrite } from "../../client/sdk.gen";
import type { EndpointRead } from "../../client/types.gen";
import { errorMessage, unwrap } from "../../lib/api";
import { QueryState } from "../common/QueryState";

function EndpointGrants({ endpoint }: { endpoint: EndpointRead }) {
  const queryClient = useQueryClient();
  const options = listGrantsOptions({ path: { endpoint_id: endpoint.id } });
  const grants = useQuery(options);
  const [username, setUsername] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: options.queryKey });
  const grant = useMutation({
    mutationFn: async (user: string) => unwrap(await grantPlcWrite({ path: { endpoint_id: endpoint.id, username: user } })),
    onSuccess: async () => {
      setUsername("");
      await refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: async (user: string) => unwrap(await revokePlcWrite({ path: { endpoint_id: endpoint.id, username: user } })),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    grant.mutate(username.trim());
  };
  const failure = grant.error ?? revoke.error;

  return (
    <li data-testid={`plc-write-${endpoint.id}`}>
      <div>
        <strong>{endpoint.name}</strong> <code>{endpoint.url}</code>
      </div>
      <QueryState isPending={grants.isPending} error={grants.error} what="the grants">
        {() => (
          <ul className="chips" aria-label={`may write to ${endpoint.name}`}>
            {grants.data!.length === 0 ? <li className="muted">nobody may write to this PLC</li> : null}
            {grants.data!.map((g) => (
              <li key={g.user_id} className="chip">
                {g.username}
                <button type="button" aria-label={`revoke ${g.username}`} onClick={() => revoke.mutate(g.username)} disabled={revoke.isPending}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      <form className="inline" onSubmit={submit}>
        <input required maxLength={100} value={username} onChange={(e) => setUsername(e.target.value)} aria-label={`grant PLC write on ${endpoint.name} to`} placeholder="user name" />
        <button type="submit" disabled={grant.isPending}>
          Allow PLC writes
        </button>
      </form>
      {failure ? (
        <p className="error" role="alert">
          {errorMessage(failure)}
        </p>
      ) : null}
    </li>
  );
}

/** Who may drive each real PLC of the project: a grant per endpoint, apart from the project roles. */
export default function PlcWritePanel({ projectId }: { projectId: number }) {
  const endpoints = useQuery(listEndpointsOptions({ query: { project_id: projectId, limit: 1000 } }));
  return (
    <section className="panel" aria-label="PLC-write permissions">
      <h2>PLC-write permissions</h2>
      <p className="hint">
        Starting a HIL run that writes to an endpoint, or forcing a port that feeds one of its write bindings during a HIL
        run, needs this permission on top of the operator role.
      </p>
      <QueryState isPending={endpoints.isPending} error={endpoints.error} what="the endpoints">
        {() =>
          endpoints.data!.items.length ? (
            <ul className="list">
              {endpoints.data!.items.map((e) => (
                <EndpointGrants key={e.id} endpoint={e} />
              ))}
            </ul>
          ) : (
            <p className="muted">This project has no OPC UA endpoints.</p>
          )
        }
      </QueryState>
    </section>
  );
}
