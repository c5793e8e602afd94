import { inject, injectable } from 'inversify';
import { InvalidArgumentError, Pager, ResultCode, type Access, type PagerContext } from '../../vmcore/index.js';
import { RedisPageSizeError } from './errors.js';
import type { RedisCommand, RedisStore } from './store.js';
import { REDIS_STORE } from './token.js';

/**
 * Far memory: pages in Redis, one key per page (store.ts has the key layout). A named pager backs a
 * persistent object another process reopens by name; an anonymous one (the instance's default pager after
 * `useRedisPager`) has a namespace of its own and deletes its keys when its object is destroyed.
 *
 * Invariants:
 * - A page never written, or last written as zeros, has no key: it reads as zeros, and a page-out of a zero
 *   page deletes the key instead of writing 4 KiB of zeros.
 * - An anonymous pager is the only writer of its namespace, so `stored` holds every page that may have a
 *   key (a page joins before its write is sent, and leaves only once its delete succeeded): a page-in of
 *   any other page is zeros at once, without a round trip.
 * - A page-out answers Success only once Redis (and `replicas` replicas, by WAIT) holds the page; any
 *   failure rejects, and vmcore keeps the page resident and dirty.
 * - One request per run and per extent: a page-in run never crosses an extent (`pageInRunLength` stops at
 *   its end); a page-out run that does is sent as one request per extent.
 */
export class RedisPager extends Pager {
  /** What it does, for the conformance kit (`spinvm/conformance`). */
  static readonly capabilities = {
    pageOut: true,
    persistent: true,
    readOnly: false,
    zeroFill: true,
    checksFrames: true,
    answersDestroyed: true,
  };
  /** The object's namespace in the keys. */
  readonly namespace: string;
  /** Requests sent and pages they carried, for stats and the bench. */
  reads = 0;
  pagesRead = 0;
  writes = 0;
  pagesWritten = 0;
  private readonly stored: Set<number> | undefined;
  private destroyed = false;
  private zero: Uint8Array | undefined;
  private window = 1;
  private nextExpected = -1;

  /**
   * @param store  the connection (`RedisStore.connect`)
   * @param name   the object's name for a persistent object that another process can reopen; absent, a
   *               fresh namespace whose keys go when the object is destroyed
   */
  constructor(
    readonly store: RedisStore,
    name?: string,
  ) {
    super();
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.length > 200 || /[{}]/.test(name))) {
      throw new InvalidArgumentError('name', name, 'a non-empty string of at most 200 characters without { or }');
    }
    this.namespace = name ?? store.freshNamespace();
    this.stored = name === undefined ? new Set() : undefined;
  }

  /** True when the object is anonymous: its keys are deleted with it. */
  get anonymous(): boolean {
    return this.stored !== undefined;
  }

  /** A clean page is what Redis holds (or zeros it does not hold): it can be read again. */
  override get refillsCleanPages(): boolean {
    return true;
  }

  /** True: every page-in that succeeds writes each byte of its frames (the value, or zeros where there is no key). */
  override get fillsWholeFrames(): boolean {
    return true;
  }

  override init(context: PagerContext): void {
    super.init(context);
    this.zero = new Uint8Array(context.pageSize);
  }

  /** Doubles on sequential faults up to the store's `readAhead`, one page on random ones; never past the extent. */
  override pageInRunLength(page: number, _access: Access): number {
    this.window = page === this.nextExpected ? Math.min(this.window * 2, this.store.readAhead) : 1;
    if (this.stored !== undefined && !this.stored.has(page)) return 1; // zeros, no request
    const extentEnd = (Math.floor(page / this.store.extentPages) + 1) * this.store.extentPages;
    return Math.max(1, Math.min(this.window, extentEnd - page, this.context.pageCount - page));
  }

  override pageIn(page: number, frame: Uint8Array, access: Access): ResultCode | Promise<ResultCode> {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    const codes = this.pageInRun(page, [frame], access);
    return Array.isArray(codes) ? codes[0]! : codes.then((c) => c[0]!);
  }

  /** One MGET per extent the run touches (one, when vmcore follows `pageInRunLength`). */
  override pageInRun(firstPage: number, frames: readonly Uint8Array[], _access: Access): ResultCode[] | Promise<ResultCode[]> {
    if (this.destroyed) return frames.map(() => ResultCode.PagerDestroyed);
    for (const frame of frames) this.checkFrame(frame);
    this.nextExpected = firstPage + frames.length;
    const stored = this.stored;
    if (stored !== undefined && !frames.some((_f, i) => stored.has(firstPage + i))) {
      for (const frame of frames) frame.fill(0);
      return frames.map(() => ResultCode.Success);
    }
    const requests: Promise<void>[] = [];
    this.eachExtent(firstPage, frames.length, (start, count) => {
      const keys: string[] = [];
      for (let i = 0; i < count; i++) keys.push(this.store.key(this.namespace, firstPage + start + i));
      requests.push(this.store.request(keys[0]!, [['MGET', ...keys]]).then(([values]) => this.fill(keys, values as (Buffer | null)[], frames, start)));
    });
    this.reads += requests.length;
    this.pagesRead += frames.length;
    return Promise.all(requests).then(() => frames.map(() => ResultCode.Success));
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode | Promise<ResultCode> {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    if (!dirty) return ResultCode.Success; // unchanged since it came from Redis, which still holds it
    return this.pageOutRun(page, [frame]).then((c) => c[0]!);
  }

  /** One pipeline per extent: MSET of the pages, DEL of the zero pages, then WAIT when replicas are asked for. */
  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): Promise<ResultCode[]> {
    if (this.destroyed) return Promise.resolve(frames.map(() => ResultCode.PagerDestroyed));
    for (const frame of frames) this.checkFrame(frame);
    const requests: Promise<unknown>[] = [];
    this.eachExtent(firstPage, frames.length, (start, count) => {
      const set: (string | Buffer)[] = ['MSET'];
      const del: string[] = ['DEL'];
      const written: string[] = [];
      const deleted: number[] = [];
      for (let i = start; i < start + count; i++) {
        const page = firstPage + i;
        const key = this.store.key(this.namespace, page);
        if (Buffer.compare(frames[i]!, this.zero!) !== 0) {
          // A copy: the frame may be written, or reused for another page, while the request is under way.
          set.push(key, Buffer.from(frames[i]!));
          this.stored?.add(page);
        } else if (this.stored === undefined || this.stored.has(page)) {
          del.push(key);
          deleted.push(page);
        } else continue; // a zero page with no key: nothing to do
        written.push(key);
      }
      if (written.length === 0) return;
      const commands: RedisCommand[] = [];
      if (set.length > 1) commands.push(set);
      if (del.length > 1) commands.push(del);
      if (this.store.replicas > 0) commands.push(['WAIT', String(this.store.replicas), String(this.store.replicaTimeout)]);
      this.writes++;
      this.pagesWritten += written.length;
      requests.push(
        this.store.request(written[0]!, commands, written).then((replies) => {
          if (this.store.replicas > 0) this.store.checkReplicas(written[0]!, replies[replies.length - 1]);
          for (const page of deleted) this.stored?.delete(page);
        }),
      );
    });
    return Promise.all(requests).then(() => frames.map(() => ResultCode.Success));
  }

  /** A named object keeps its keys (another process reopens it); an anonymous one deletes them. */
  override destroy(): void | Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const stored = this.stored;
    if (stored === undefined || stored.size === 0) return;
    const byExtent = new Map<number, string[]>();
    for (const page of stored) {
      const e = Math.floor(page / this.store.extentPages);
      let keys = byExtent.get(e);
      if (!keys) byExtent.set(e, (keys = ['DEL']));
      keys.push(this.store.key(this.namespace, page));
    }
    stored.clear();
    return Promise.all([...byExtent.values()].map((del) => this.store.request(del[1]!, [del], del.slice(1)))).then(() => undefined);
  }

  /** Calls `each(start, count)` for the part of the run `first .. first + length` in each extent. */
  private eachExtent(first: number, length: number, each: (start: number, count: number) => void): void {
    const n = this.store.extentPages;
    for (let start = 0; start < length;) {
      const page = first + start;
      const count = Math.min(length - start, n - (page % n));
      each(start, count);
      start += count;
    }
  }

  private fill(keys: readonly string[], values: readonly (Buffer | null)[], frames: readonly Uint8Array[], start: number): void {
    const ps = this.context.pageSize;
    for (let i = 0; i < keys.length; i++) {
      const value = values[i];
      const frame = frames[start + i]!;
      if (value === null || value === undefined) frame.fill(0);
      else if (value.length !== ps) throw new RedisPageSizeError(keys[i]!, value.length, ps);
      else frame.set(value);
    }
  }
}

/** The instance's default pager after `useRedisPager`: an anonymous RedisPager over the bound store. */
@injectable()
export class DefaultRedisPager extends RedisPager {
  constructor(@inject(REDIS_STORE) store: RedisStore) {
    super(store);
  }
}
