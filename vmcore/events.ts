import { EventEmitter } from 'node:events';
import { InvalidArgumentError } from './errors.js';
import type { Access } from './pager/access.js';
import type { ResultCode } from './pager/result-code.js';
import type { MemoryObject } from './memory-object/memory-object.js';

/** What memory objects report, to their own subscribers and to their instance's. */
export interface VmEvents {
  /** A page was not resident and a page-in starts. */
  fault: { object: MemoryObject; page: number; access: Access };
  /** A page-in succeeded: the frame entered the cache. */
  pageIn: { object: MemoryObject; page: number; frame: number };
  /** A page-out was answered (eviction or flush). */
  pageOut: { object: MemoryObject; page: number; dirty: boolean; result: ResultCode };
  /** A frame was reclaimed from its owner (after a page-out when dirty). */
  eviction: { object: MemoryObject; page: number; frame: number; dirty: boolean };
  /** A page-out answered DeviceFull: the page stays resident and dirty, another victim is chosen. */
  deviceFull: { object: MemoryObject; page: number };
  /** A pager threw, rejected or answered nonsense during a page-out: the page stays resident and dirty. */
  pageOutFailed: { object: MemoryObject; page: number; error: Error };
  /** The object was destroyed; `cause` is set when a pager's catastrophic answer destroyed it. */
  destroyed: { object: MemoryObject; cause: Error | undefined };
}

export type EventName = keyof VmEvents;

export const EVENT_NAMES: readonly EventName[] = ['fault', 'pageIn', 'pageOut', 'eviction', 'deviceFull', 'pageOutFailed', 'destroyed'];
export type Listener<K extends EventName> = (event: VmEvents[K]) => void;

/**
 * A typed subscription list over node:events. A listener that throws never breaks the VM's state: the
 * error is rethrown on a later tick, where it is as loud as an uncaught exception should be.
 */
export class EventHub {
  private readonly emitter = new EventEmitter();
  /** Number of listeners; emitting is skipped entirely (no event object is built) when it is 0. */
  listeners = 0;

  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    if (!EVENT_NAMES.includes(name)) throw new InvalidArgumentError('event', name, `one of ${EVENT_NAMES.join(', ')}`);
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', listener, 'a function');
    const guarded = (event: VmEvents[K]) => {
      try {
        listener(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    };
    this.emitter.on(name, guarded);
    this.listeners++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.emitter.off(name, guarded);
      this.listeners--;
    };
  }

  emit<K extends EventName>(name: K, event: VmEvents[K]): void {
    this.emitter.emit(name, event);
  }
}
