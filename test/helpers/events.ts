// Listening to every event of a memory object or an instance, and the log in a form tests can compare.
import type { EventName, MemoryObject, Vm, VmEvents } from '../../vmcore/index.js';

export const EVENTS: readonly EventName[] = ['fault', 'pageIn', 'pageOut', 'eviction', 'deviceFull', 'pageOutFailed', 'destroyed'];

export type Logged = { [K in EventName]: { name: K; event: VmEvents[K] } }[EventName];

/** Subscribes to every event of `source` (an object or an instance); answers the log and the unsubscribers. */
export function listen(source: MemoryObject | Vm): { log: Logged[]; off: Array<() => void> } {
  const log: Logged[] = [];
  const off = EVENTS.map((name) => source.on(name, (event: VmEvents[EventName]) => log.push({ name, event } as Logged)));
  return { log, off };
}

/** The log with objects replaced by their names and errors by class and message, for readable comparisons. */
export function plain(log: Logged[]): Array<Record<string, unknown>> {
  return log.map(({ name, event }) => {
    const out: Record<string, unknown> = { name, ...event, object: event.object.name };
    if ('error' in event) out['error'] = `${event.error.constructor.name}: ${event.error.message}`;
    if ('cause' in event) out['cause'] = event.cause === undefined ? undefined : `${event.cause.constructor.name}`;
    return out;
  });
}
