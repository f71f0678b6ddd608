import { useMutation, useQueryClient } from "@tanstack/react-query";
import { listFaultsQueryKey, listSimulationForcesQueryKey } from "../../client/@tanstack/react-query.gen";
import { forcePort, releasePort } from "../../client/sdk.gen";
import { splitPort } from "../../lib/model";
import { unwrap } from "../../lib/api";

export function useForceMutations(runId: number) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: listSimulationForcesQueryKey({ path: { run_id: runId } }) });
  const force = useMutation({
    mutationFn: async ({ port, value }: { port: string; value: number | boolean }) => {
      const [component, name] = splitPort(port);
      return unwrap(await forcePort({ path: { run_id: runId }, body: { component, port: name, value } }));
    },
    onSettled: refresh,
  });
  const release = useMutation({
    mutationFn: async (ports: string[]) => {
      for (const port of ports) {
        const [component, name] = splitPort(port);
        unwrap(await releasePort({ path: { run_id: runId, component, port: name } }));
      }
    },
    onSettled: refresh,
  });
  return { force, release };
}

export function faultsKey(runId: number) {
  return listFaultsQueryKey({ path: { run_id: runId } });
}
