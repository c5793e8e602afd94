// The fuzzer's pager: a store in a Map, every answer injectable, synchronous or delayed by microtasks,
// setImmediate or timers, and instrumented (two page-ins of one page at once, a page-in during the page's
// page-out, a page-in of a page already resident, calls after destroy).
import { Pager, ResultCode, type Access, type PagerAnswer, type PagerContext } from '../../vmcore/index.js';
import { fillPattern, type Prng } from './prng.js';

export const DELAYS = ['sync', 'micro', 'immediate', 'timer', 'mixed'] as const;
export type Delay = (typeof DELAYS)[number];

/** Answers a page-in or page-out can be made to give. 'ok' is the pager's honest answer. */
export const ANSWERS = [
  'ok',
  'AlreadyPagedIn',
  'AlreadyPagedOut',
  'PagerDestroyed',
  'DeviceFull',
  'NotImplemented',
  'throw',
  'reject',
  'junk',
  'junkAsync',
] as const;
export type Answer = (typeof ANSWERS)[number];
/** Answers of pageOutRun (flush's runs); without one armed the base class calls pageOut page by page. */
export const RUN_ANSWERS = ['mixed', 'short', 'notArray', 'throw', 'reject', 'junkAsync'] as const;
export type RunAnswer = (typeof RUN_ANSWERS)[number];
export const DESTROY_ANSWERS = ['throw', 'reject', 'slow'] as const;
export type DestroyAnswer = (typeof DESTROY_ANSWERS)[number];

const CODES: Partial<Record<Answer, ResultCode>> = {
  AlreadyPagedIn: ResultCode.AlreadyPagedIn,
  AlreadyPagedOut: ResultCode.AlreadyPagedOut,
  PagerDestroyed: ResultCode.PagerDestroyed,
  DeviceFull: ResultCode.DeviceFull,
  NotImplemented: ResultCode.NotImplemented,
};
const JUNK: readonly unknown[] = [42, -1, 1.5, '0', undefined, null, {}, Number.NaN, 6, [0]];

/** Thrown by a pager when the harness decides the process is hung (a livelock or a stalled event loop). */
export class HangAbort extends Error {}

export interface PagerHooks {
  /** Called first by every pager call: counts calls, and throws HangAbort when the harness calls a hang. */
  call(): void;
  violation(message: string): void;
  /** An injected (non-honest) answer was given. */
  delivered(kind: string): void;
  /** The pager answered a page-in with a code that destroys its object. */
  catastrophic(pager: FuzzPager): void;
  /** Whether `page` of the pager's object is resident now (false if unknown). */
  resident(pager: FuzzPager, page: number): boolean;
  rng: Prng;
}

export interface FuzzPagerOptions {
  /** Seeds the contents of never-written pages. */
  key: number;
  delay: Delay;
  refills: boolean;
  /** Copy the frame when the page-out completes instead of when it is called. */
  copyAtEnd: boolean;
  /** Never answer a page-in with a code that destroys the object (shadow objects of address spaces). */
  noCatastrophe: boolean;
  failInit: boolean;
}

export class FuzzPager extends Pager {
  readonly store = new Map<number, Uint8Array>();
  armedIn: Answer[] = [];
  armedOut: Answer[] = [];
  armedRun: RunAnswer[] = [];
  armedDestroy: DestroyAnswer[] = [];
  /** Some injected answer has been given: this pager's errors are expected. */
  injected = false;
  /** Calls in flight (answered asynchronously and not settled yet). */
  inflight = 0;
  name = '?';
  pageSize = 0;
  dead = false;
  /** pageOutRun calls in progress (the base class calls pageOut page by page). */
  private runs = 0;
  private readonly inIn = new Map<number, number>();
  private readonly inOut = new Map<number, number>();

  constructor(
    readonly options: FuzzPagerOptions,
    private readonly hooks: PagerHooks,
  ) {
    super();
  }

  override get refillsCleanPages(): boolean {
    return this.options.refills;
  }

  override init(context: PagerContext): void {
    if (this.options.failInit) {
      this.hooks.delivered('init:throw');
      throw new Error('injected: init fails');
    }
    super.init(context);
    this.name = context.name;
    this.pageSize = context.pageSize;
  }

  /** What a page holds before anything was written: distinct per object and page. */
  initial(page: number, out: Uint8Array): void {
    fillPattern(out, this.options.key, page);
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): PagerAnswer {
    this.hooks.call();
    this.checkFrame(frame);
    if (this.dead) this.hooks.violation(`pageIn of page ${page} of ${this.name} after its pager was destroyed`);
    if (this.inIn.has(page)) this.hooks.violation(`two page-ins of page ${page} of ${this.name} at once`);
    if (this.inOut.has(page)) this.hooks.violation(`page-in of page ${page} of ${this.name} while its page-out is in flight`);
    if (this.hooks.resident(this, page)) this.hooks.violation(`page-in of page ${page} of ${this.name}, which is resident already`);
    let answer = this.armedIn.shift() ?? 'ok';
    if (this.options.noCatastrophe && (answer === 'PagerDestroyed' || answer === 'DeviceFull' || answer === 'NotImplemented')) answer = 'throw';
    if (answer === 'throw')
      return this.deliver(`pageIn:${answer}`, () => {
        throw new Error(`injected: pageIn of page ${page} throws`);
      });
    const work = (): PagerAnswer => {
      // An injected answer is given even after destroy (a pager whose I/O fails after all); an honest one is PagerDestroyed.
      if (this.dead && answer === 'ok') return ResultCode.PagerDestroyed;
      if (answer === 'ok') {
        if (this.hooks.resident(this, page)) this.hooks.violation(`page-in of page ${page} of ${this.name} answered while the page is resident already`);
        const saved = this.store.get(page);
        if (saved) frame.set(saved);
        else this.initial(page, frame);
        return ResultCode.Success;
      }
      this.injected = true;
      this.hooks.delivered(`pageIn:${answer}`);
      const code = CODES[answer];
      if (code !== undefined) {
        if (code === ResultCode.PagerDestroyed || code === ResultCode.DeviceFull || code === ResultCode.NotImplemented) this.hooks.catastrophic(this);
        return code;
      }
      return this.junk(answer);
    };
    return this.track(this.inIn, page, work);
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    this.hooks.call();
    this.checkFrame(frame);
    // (The base class's pageOutRun goes on calling pageOut for a run begun before destroy: that is the pager's own doing.)
    if (this.dead && this.runs === 0) this.hooks.violation(`pageOut of page ${page} of ${this.name} after its pager was destroyed`);
    if (this.inOut.has(page)) this.hooks.violation(`two page-outs of page ${page} of ${this.name} at once`);
    if (this.inIn.has(page)) this.hooks.violation(`page-out of page ${page} of ${this.name} while its page-in is in flight`);
    const answer = this.armedOut.shift() ?? 'ok';
    if (answer === 'throw')
      return this.deliver(`pageOut:${answer}`, () => {
        throw new Error(`injected: pageOut of page ${page} throws`);
      });
    const early = this.options.copyAtEnd ? undefined : frame.slice();
    const work = (): PagerAnswer => {
      if (this.dead && answer === 'ok') return ResultCode.PagerDestroyed;
      if (answer === 'ok' || answer === 'AlreadyPagedOut') {
        // AlreadyPagedOut injected on a page the pager did not have would be a lie: store it all the same.
        const had = this.store.has(page);
        this.store.set(page, early ?? frame.slice());
        if (answer === 'ok') return !dirty && had && this.hooks.rng.chance(0.5) ? ResultCode.AlreadyPagedOut : ResultCode.Success;
      }
      this.injected = true;
      this.hooks.delivered(`pageOut:${answer}`);
      const code = CODES[answer];
      return code !== undefined ? code : this.junk(answer);
    };
    return this.track(this.inOut, page, work);
  }

  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] | Promise<ResultCode[]> {
    const answer = this.armedRun.shift();
    if (answer === undefined) {
      if (this.dead) this.hooks.violation(`pageOutRun of pages ${firstPage}.. of ${this.name} after its pager was destroyed`);
      this.runs++;
      let result: ResultCode[] | Promise<ResultCode[]>;
      try {
        result = super.pageOutRun(firstPage, frames);
      } catch (err) {
        this.runs--;
        throw err;
      }
      if (Array.isArray(result)) {
        this.runs--;
        return result;
      }
      return result.finally(() => void this.runs--);
    }
    this.hooks.call();
    this.injected = true;
    this.hooks.delivered(`pageOutRun:${answer}`);
    if (answer === 'throw') throw new Error(`injected: pageOutRun of ${frames.length} pages from ${firstPage} throws`);
    const copies = frames.map((f) => f.slice());
    const work = (): ResultCode[] => {
      if (answer === 'reject') throw new Error('injected: pageOutRun rejects');
      if (answer === 'notArray') return 42 as unknown as ResultCode[];
      if (answer === 'junkAsync') return 'x' as unknown as ResultCode[];
      const n = answer === 'short' ? Math.max(0, frames.length - 1) : frames.length;
      const codes: ResultCode[] = [];
      for (let i = 0; i < n; i++) {
        const r = answer === 'short' ? 0 : this.hooks.rng.int(5);
        if (r <= 1) {
          this.store.set(firstPage + i, copies[i]!);
          codes.push(r === 0 ? ResultCode.Success : ResultCode.AlreadyPagedOut);
        } else codes.push(r === 2 ? ResultCode.DeviceFull : r === 3 ? ResultCode.NotImplemented : (7 as ResultCode));
      }
      return codes;
    };
    if (this.options.delay === 'sync' && answer !== 'reject' && answer !== 'junkAsync') return work();
    this.inflight++;
    return this.wait().then(
      () => {
        this.inflight--;
        return work();
      },
      (err: unknown) => {
        this.inflight--;
        throw err;
      },
    );
  }

  override destroy(): void | Promise<void> {
    this.dead = true;
    const answer = this.armedDestroy.shift();
    if (answer === undefined) return;
    this.injected = true;
    this.hooks.delivered(`destroy:${answer}`);
    if (answer === 'throw') throw new Error('injected: destroy throws');
    if (answer === 'reject') return Promise.reject(new Error('injected: destroy rejects'));
    this.inflight++;
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        this.inflight--;
        resolve();
      }, 1),
    );
  }

  private deliver(kind: string, fn: () => never): never {
    this.injected = true;
    this.hooks.delivered(kind);
    return fn();
  }

  private junk(answer: Answer): PagerAnswer {
    if (answer === 'reject') return Promise.reject(new Error('injected: rejects'));
    const value = JUNK[this.hooks.rng.int(JUNK.length)];
    return (answer === 'junkAsync' ? Promise.resolve(value) : value) as PagerAnswer;
  }

  /** Runs `work` now or after the delay; marks the page in flight until the answer settles. */
  private track(marks: Map<number, number>, page: number, work: () => PagerAnswer): PagerAnswer {
    const delay = this.pickDelay();
    // 'reject' and 'junkAsync' come back as promises even from a synchronous pager.
    if (delay === 'sync') return work();
    marks.set(page, (marks.get(page) ?? 0) + 1);
    this.inflight++;
    const done = (): void => {
      this.inflight--;
      const n = marks.get(page)! - 1;
      if (n === 0) marks.delete(page);
      else marks.set(page, n);
    };
    return this.wait(delay).then(
      () => {
        try {
          return work();
        } finally {
          done();
        }
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
  }

  private pickDelay(): Exclude<Delay, 'mixed'> {
    const d = this.options.delay;
    return d === 'mixed' ? (['sync', 'micro', 'immediate', 'timer'] as const)[this.hooks.rng.int(4)]! : d;
  }

  private wait(delay: Exclude<Delay, 'mixed'> = this.pickDelay()): Promise<void> {
    switch (delay) {
      case 'sync':
      case 'micro': {
        let p = Promise.resolve();
        for (let i = this.hooks.rng.int(3); i > 0; i--) p = p.then(() => undefined);
        return p;
      }
      case 'immediate':
        return new Promise((resolve) => setImmediate(resolve));
      case 'timer':
        return new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
