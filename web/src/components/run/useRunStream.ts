import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { LivePainter } from "../../lib/painter";
import { type StreamChange, StreamClient, streamUrl } from "../../lib/stream";

/** One stream client and one painter per open run console; closed when the page goes away. */
export function useRunStream(runId: number): { client: StreamClient; painter: LivePainter } {
  const [pair] = useState(() => {
    const client = new StreamClient({ url: streamUrl(runId) });
    return { client, painter: new LivePainter(client) };
  });
  useEffect(() => {
    pair.client.start();
    pair.painter.start();
    return () => {
      pair.painter.stop();
      pair.client.close();
    };
  }, [pair]);
  return pair;
}

/**
 * Re-render when one of the given structure changes happens, and read `select(client)` then.
 * The selected value must be stable between changes (e.g. a field of the client, not a new object).
 */
export function useStreamValue<T>(client: StreamClient, changes: StreamChange[], select: (client: StreamClient) => T): T {
  const key = changes.join(",");
  const subscribe = useRef<((notify: () => void) => () => void) | null>(null);
  const lastKey = useRef("");
  if (!subscribe.current || lastKey.current !== key) {
    lastKey.current = key;
    const wanted = new Set(changes);
    subscribe.current = (notify) => client.on((change) => wanted.has(change) && notify());
  }
  return useSyncExternalStore(subscribe.current, () => select(client));
}
