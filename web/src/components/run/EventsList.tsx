import { formatSeconds } from "../../lib/format";
import type { StreamClient } from "../../lib/stream";
import { useStreamValue } from "./useRunStream";

const SHOWN = 300;

/** The run's events, newest first: started, forces, faults, HIL disconnects, model edits, finished. */
export default function EventsList({ client }: { client: StreamClient }) {
  const events = useStreamValue(client, ["events"], (c) => c.events);
  const shown = events.slice(-SHOWN).reverse();
  return (
    <section className="panel events" aria-label="events" data-testid="events-panel">
      <h2>Events ({events.length})</h2>
      {shown.length ? (
        <table className="table compact" aria-label="run events">
          <thead>
            <tr>
              <th>t</th>
              <th>event</th>
              <th>what</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.seq} data-testid="event-row" data-kind={e.kind} className={`event-${e.kind}`}>
                <td title={e.at}>{formatSeconds(e.t)}</td>
                <td>{e.kind.replace(/_/g, " ")}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No events yet.</p>
      )}
    </section>
  );
}
