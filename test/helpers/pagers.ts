// The tests' pagers, one set for every suite: recording, scripted, flaky, microtask-async and lazy. The fuzzer's
// pager (test/fuzz/pagers.ts) adds what only the fuzzer needs; the conformance kit's broken pagers are its own.
import { Pager, ResultCode, type Access, type PagerAnswer } from '../../vmcore/index.js';

/** Records every call; keeps paged-out pages in a Map, so it supports page-out. Optionally asynchronous. */
export class RecordingPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  readonly calls: Array<{ op: 'pageIn' | 'pageOut'; page: number; dirty?: boolean }> = [];
  pageIns = 0;
  pageOuts = 0;
  destroyed = false;

  constructor(private readonly options: { async?: boolean | (() => number) } = {}) {
    super();
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): PagerAnswer {
    this.calls.push({ op: 'pageIn', page });
    this.pageIns++;
    const fill = (): ResultCode => {
      if (this.destroyed) return ResultCode.PagerDestroyed;
      const saved = this.store.get(page);
      if (saved) frame.set(saved);
      else frame.fill(0);
      return ResultCode.Success;
    };
    return this.later(fill);
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    this.calls.push({ op: 'pageOut', page, dirty });
    this.pageOuts++;
    // Copy at once: the frame may change while an asynchronous write is in flight.
    const copy = frame.slice();
    return this.later(() => {
      if (this.destroyed) return ResultCode.PagerDestroyed;
      this.store.set(page, copy);
      return ResultCode.Success;
    });
  }

  override destroy(): void {
    this.destroyed = true;
  }

  private later(work: () => ResultCode): PagerAnswer {
    const a = this.options.async;
    if (!a) return work();
    const delay = typeof a === 'function' ? a() : 0;
    if (delay === 0) return new Promise((resolve) => setImmediate(() => resolve(work())));
    return new Promise((resolve) => setTimeout(() => resolve(work()), delay));
  }
}

type Script = ResultCode | 'store' | 'throw' | 'reject' | 'junk' | ((page: number, frame: Uint8Array) => PagerAnswer);

/**
 * Answers what the test scripts, call by call: `inAnswers` / `outAnswers` are consumed in order, then
 * `inDefault` / `outDefault` (a RecordingPager-like store by default). Asynchronous calls can be held
 * open with `hold` and released by the test.
 */
export class ScriptedPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  inAnswers: Script[] = [];
  outAnswers: Script[] = [];
  inDefault: Script = 'store';
  outDefault: Script = 'store';
  refills = false;
  /** When set, every answer waits for `release()`. */
  hold = false;
  private held: Array<() => void> = [];
  pageIns = 0;
  pageOuts = 0;
  destroyCalls = 0;

  override get refillsCleanPages(): boolean {
    return this.refills;
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }

  get waiting(): number {
    return this.held.length;
  }

  override pageIn(page: number, frame: Uint8Array): PagerAnswer {
    this.pageIns++;
    return this.answer(this.inAnswers.shift() ?? this.inDefault, page, frame, () => {
      const saved = this.store.get(page);
      if (saved) frame.set(saved);
      else frame.fill(0);
    });
  }

  override pageOut(page: number, frame: Uint8Array): PagerAnswer {
    this.pageOuts++;
    const copy = frame.slice();
    return this.answer(this.outAnswers.shift() ?? this.outDefault, page, frame, () => this.store.set(page, copy));
  }

  override destroy(): void {
    this.destroyCalls++;
  }

  private answer(script: Script, page: number, frame: Uint8Array, store: () => void): PagerAnswer {
    const now = (): PagerAnswer => {
      if (script === 'store') {
        store();
        return ResultCode.Success;
      }
      if (script === 'throw') throw new Error(`scripted failure on page ${page}`);
      if (script === 'reject') return Promise.reject(new Error(`scripted rejection on page ${page}`));
      if (script === 'junk') return 42 as ResultCode;
      if (typeof script === 'function') return script(page, frame);
      if (script === ResultCode.Success) store();
      return script;
    };
    if (!this.hold) return now();
    return new Promise<void>((resolve) => this.held.push(resolve)).then(now);
  }
}

/** A recording pager that fails on cue, from a seeded stream: DeviceFull and throws on page-out, throws on page-in. */
export class FlakyPager extends RecordingPager {
  private x: number;
  constructor(seed: number, async: boolean) {
    super({ async });
    this.x = seed || 1;
  }
  private roll(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return (this.x >>> 0) % 100;
  }
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    if (this.roll() < 5) throw new Error('flaky page-in');
    return super.pageIn(page, frame, access);
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    const r = this.roll();
    if (r < 10) return ResultCode.DeviceFull;
    if (r < 15) throw new Error('flaky page-out');
    return super.pageOut(page, frame, dirty);
  }
}

/**
 * Answers from a microtask (an `async pageIn` that does no real I/O). After `limit` page-ins it starts
 * answering PagerDestroyed, so a livelock ends in a failed test instead of a frozen process.
 */
export class MicrotaskPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  pageIns = 0;
  constructor(private readonly limit = 10_000) {
    super();
  }
  override async pageIn(page: number, frame: Uint8Array, _access: Access): Promise<ResultCode> {
    await null;
    if (++this.pageIns > this.limit) return ResultCode.PagerDestroyed;
    const saved = this.store.get(page);
    if (saved) frame.set(saved);
    else frame.fill(0);
    return ResultCode.Success;
  }
  override async pageOut(page: number, frame: Uint8Array): Promise<ResultCode> {
    const copy = frame.slice();
    await null;
    this.store.set(page, copy);
    return ResultCode.Success;
  }
}

/** Answers Success without touching the frame: whatever the frame held is what the object sees. */
export class LazyPager extends Pager {
  override pageIn(_page: number, _frame: Uint8Array, _access: Access): PagerAnswer {
    return ResultCode.Success;
  }
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** A page-sized pattern that differs per page and per seed, so misplaced pages are caught (the kit's own). */
export { patternPage as pattern } from '../../conformance/index.js';

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
