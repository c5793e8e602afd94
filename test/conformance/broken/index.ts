/**
 * Deliberately broken pagers: each declares the capabilities a correct pager of its kind would, and gets one
 * thing wrong. kit.test.ts asserts that the conformance kit fails every one of them. A kit that passes
 * everything proves nothing.
 */
import { createHash } from 'node:crypto';
import { Pager, ResultCode, type Access, type PagerAnswer, type PagerContext } from '../../../vmcore/index.js';
import type { PagerCapabilities } from '../../../conformance/index.js';

/**
 * A correct pager: a Map of paged-out pages, zero fill for the rest. The broken ones below subclass it. It
 * checks its frames and answers PagerDestroyed after destroy, and says so.
 */
export class MapPager extends Pager {
  static capabilities: PagerCapabilities = { pageOut: true, persistent: false, readOnly: false, zeroFill: true, checksFrames: true, answersDestroyed: true };
  protected readonly store = new Map<number, Uint8Array>();
  protected destroyed = false;

  protected key(page: number): number {
    return page;
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    this.fill(page, frame);
    return ResultCode.Success;
  }

  protected fill(page: number, frame: Uint8Array): void {
    const saved = this.store.get(this.key(page));
    if (saved) frame.set(saved);
    else frame.fill(0);
  }

  override pageOut(page: number, frame: Uint8Array, _dirty: boolean): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    this.store.set(this.key(page), frame.slice());
    return ResultCode.Success;
  }

  override destroy(): void {
    this.destroyed = true;
    this.store.clear();
  }
}

/** Keys every page as page 0. */
export class IgnoresPageNumber extends MapPager {
  protected override key(): number {
    return 0;
  }
}

/** Keeps page numbers in 32 bits: page 2^32 is page 0. */
export class TruncatesPageNumber extends MapPager {
  protected override key(page: number): number {
    return page | 0;
  }
}

/** Answers Success to page-outs and keeps nothing. */
export class DropsPageOuts extends MapPager {
  override pageOut(_page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    return ResultCode.Success;
  }
}

/** Answers Success to page-ins without writing the frame. */
export class SuccessWithoutFilling extends MapPager {
  protected override fill(): void {}
}

/** Flips one byte in a thousand on the way in (a deterministic stream, so failures replay). */
export class CorruptsOneInAThousand extends MapPager {
  private x = 0x2545f491;
  protected override fill(page: number, frame: Uint8Array): void {
    super.fill(page, frame);
    for (let i = 0; i < frame.length; i++) {
      this.x ^= this.x << 13;
      this.x ^= this.x >>> 17;
      this.x ^= this.x << 5;
      if ((this.x >>> 0) % 1000 === 0) frame[i] = frame[i]! ^ 0x10;
    }
  }
}

/** Answers AlreadyPagedIn to every page-in: the page never arrives. */
export class AlreadyPagedInForever extends MapPager {
  override pageIn(): PagerAnswer {
    return this.destroyed ? ResultCode.PagerDestroyed : ResultCode.AlreadyPagedIn;
  }
}

/** Correct until the first page-out; from then on every page-in is a zero page. */
export class ZeroFillsAfterPageOut extends MapPager {
  private pagedOut = false;
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    this.pagedOut = true;
    return super.pageOut(page, frame, dirty);
  }
  protected override fill(page: number, frame: Uint8Array): void {
    if (this.pagedOut) frame.fill(0);
    else super.fill(page, frame);
  }
}

/** Keeps the frame itself instead of a copy: the frame is reused as soon as the page-out returns. */
export class KeepsFrameReference extends MapPager {
  override pageOut(page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    this.store.set(page, frame);
    return ResultCode.Success;
  }
}

/** Zero-fills through the frame's buffer, ignoring the frame's offset in it. */
export class WritesOutsideFrame extends MapPager {
  protected override fill(page: number, frame: Uint8Array): void {
    new Uint8Array(frame.buffer, 0, frame.length).fill(0);
    const saved = this.store.get(page);
    if (saved) frame.set(saved);
    else frame.fill(0);
  }
}

/** Takes any frame: copies what fits and answers Success. */
export class AcceptsAnyFrame extends MapPager {
  override pageIn(page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    const saved = this.store.get(page);
    frame.fill(0);
    if (saved) frame.set(saved.subarray(0, Math.min(saved.length, frame.length)));
    return ResultCode.Success;
  }
  override pageOut(page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.store.set(page, frame.slice());
    return ResultCode.Success;
  }
}

/** Goes on serving pages after destroy. */
export class IgnoresDestroy extends MapPager {
  override destroy(): void {}
}

/** Declared able to page out, answers NotImplemented. */
export class NoPageOut extends MapPager {
  override pageOut(): PagerAnswer {
    return this.destroyed ? ResultCode.PagerDestroyed : ResultCode.NotImplemented;
  }
}

/** Declared read-only (no page-out), but keeps page-outs all the same. */
export class SecretlyWrites extends MapPager {}

/** Asynchronous, with one scratch buffer shared by every call in flight: concurrent page-ins get each other's pages. */
export class SharedScratch extends MapPager {
  private readonly scratch = new Uint8Array(1 << 16);
  override pageIn(page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const n = frame.length;
    const saved = this.store.get(page);
    if (saved) this.scratch.set(saved);
    else this.scratch.fill(0, 0, n);
    return new Promise((resolve) =>
      setImmediate(() => {
        frame.set(this.scratch.subarray(0, n));
        resolve(ResultCode.Success);
      }),
    );
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    const answer = super.pageOut(page, frame, dirty);
    return new Promise((resolve) => setImmediate(() => resolve(answer)));
  }
}

/** Asynchronous: answers Success to a page-out at once and stores the page a little later. */
export class ResolvesBeforeStoring extends MapPager {
  override pageOut(page: number, frame: Uint8Array): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const copy = frame.slice();
    setTimeout(() => this.store.set(page, copy), 5);
    return Promise.resolve(ResultCode.Success);
  }
}

/** A page-in that never answers. */
export class NeverAnswers extends MapPager {
  override pageIn(): PagerAnswer {
    return new Promise(() => {});
  }
}

/** Answers a number that is not a ResultCode. */
export class AnswersJunk extends MapPager {
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    super.pageIn(page, frame, access);
    return 42 as ResultCode;
  }
}

/** Drops its copy of a page when asked to page it out clean ("nothing changed, nothing to keep"). */
export class ForgetsCleanPages extends MapPager {
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    if (!dirty && !this.destroyed) {
      this.store.delete(page);
      return ResultCode.Success;
    }
    return super.pageOut(page, frame, dirty);
  }
}

/** Overrides pageOutRun (the flush path) and writes each page one place too far. */
export class RunOffByOne extends MapPager {
  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] {
    return frames.map((frame, i) => {
      this.store.set(firstPage + i + 1, frame.slice());
      return ResultCode.Success;
    });
  }
}

/** Reads runs with one read into the first frame's buffer, assuming the frames lie next to each other in it. */
export class AssumesAdjacentFrames extends MapPager {
  override pageInRunLength(): number {
    return 4;
  }
  override pageInRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] {
    const ps = frames[0]!.length;
    const all = new Uint8Array(frames[0]!.buffer, frames[0]!.byteOffset, Math.min(frames.length * ps, frames[0]!.buffer.byteLength - frames[0]!.byteOffset));
    frames.forEach((_, i) => {
      if ((i + 1) * ps <= all.length) this.fill(firstPage + i, all.subarray(i * ps, (i + 1) * ps));
    });
    return frames.map(() => ResultCode.Success);
  }
}

/** Claims to track page state but never answers AlreadyPagedIn / AlreadyPagedOut. */
export class ForgetsState extends MapPager {}

/** Zero-fills the frame, then fills it from the store only when the page-in is for writing. */
export class ReadsZerosUnlessWriting extends MapPager {
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    if (access === 'read') {
      if (this.destroyed) return ResultCode.PagerDestroyed;
      this.checkFrame(frame);
      frame.fill(0);
      return ResultCode.Success;
    }
    return super.pageIn(page, frame, access);
  }
}

// ---- Broken the ways pager authors break pagers: each caught by one check only (see BLIND_SPOTS). ----

const isZero = (frame: Uint8Array): boolean => frame.every((b) => b === 0);

/** Zero-fills from a shared 4096-byte zero page: right at 4 KiB pages, wrong at any other size. */
const ZERO_PAGE = new Uint8Array(4096);
export class AssumesFourKiBPages extends MapPager {
  protected override fill(page: number, frame: Uint8Array): void {
    frame.set(this.store.get(page) ?? ZERO_PAGE);
  }
}

/**
 * Keeps pages in a fixed table of 1024 slots, handed out in turn, and when the table is full it reuses slots
 * from the start, as a ring: its author thought spinvm never hands a pager more pages than that.
 */
export class FixedSlotTable extends MapPager {
  static readonly SLOTS = 1024;
  private readonly table: Uint8Array[] = [];
  private readonly slots = new Map<number, number>();
  private next = 0;
  protected override fill(page: number, frame: Uint8Array): void {
    const slot = this.slots.get(page);
    if (slot === undefined) frame.fill(0);
    else frame.set(this.table[slot]!);
  }
  override pageOut(page: number, frame: Uint8Array, _dirty: boolean): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    let slot = this.slots.get(page);
    if (slot === undefined) {
      slot = this.next++ % FixedSlotTable.SLOTS;
      this.slots.set(page, slot);
    }
    this.table[slot] = frame.slice();
    return ResultCode.Success;
  }
}

/** Does not store all-zero pages ("zero fill gives them back"), so a page rewritten to zeros keeps its old contents. */
export class SkipsZeroPages extends MapPager {
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    if (!this.destroyed && isZero(frame)) return ResultCode.Success;
    return super.pageOut(page, frame, dirty);
  }
}

/**
 * A content-addressed store: pages with the same contents share one stored copy (all-zero pages are not
 * stored at all). A page already stored is rewritten in place, to spare an allocation: and so is every page
 * sharing its copy.
 */
export class DedupsByContent extends MapPager {
  private readonly byHash = new Map<string, Uint8Array>();
  override pageOut(page: number, frame: Uint8Array, _dirty: boolean): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    if (isZero(frame)) {
      this.store.delete(page);
      return ResultCode.Success;
    }
    const kept = this.store.get(page);
    if (kept) {
      kept.set(frame);
      return ResultCode.Success;
    }
    const hash = createHash('sha1').update(frame).digest('hex');
    let copy = this.byHash.get(hash);
    if (!copy) {
      copy = frame.slice();
      this.byHash.set(hash, copy);
    }
    this.store.set(page, copy);
    return ResultCode.Success;
  }
  override destroy(): void {
    super.destroy();
    this.byHash.clear();
  }
}

/** Joins a flush's run into one write through a 4-page (16 KiB) staging buffer; frames past the fourth are answered Success and never written. */
export class StagesFourPages extends MapPager {
  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] {
    if (this.destroyed) return frames.map(() => ResultCode.PagerDestroyed);
    const staged = frames.slice(0, 4);
    staged.forEach((frame, i) => this.store.set(firstPage + i, frame.slice()));
    return frames.map(() => ResultCode.Success);
  }
}

/** A store that outlives its pager: a journal of (page, bytes) records, as a file would be. */
export class Journal {
  readonly records: Array<{ page: number; bytes: Uint8Array }> = [];
}

/**
 * A correct persistent pager: every page-out appends a record to its journal; opening a journal rebuilds
 * the index from the records, the last record of a page winning. `reopen` makes one over the same journal.
 */
export class JournalPager extends MapPager {
  static override capabilities: PagerCapabilities = { ...MapPager.capabilities, persistent: true };
  protected readonly index = new Map<number, number>();
  constructor(readonly journal: Journal = new Journal()) {
    super();
  }
  override init(context: PagerContext): void {
    super.init(context);
    this.journal.records.forEach((record, i) => this.load(record.page, i));
  }
  /** Indexes record `i` of `page` while the journal is opened. */
  protected load(page: number, i: number): void {
    this.index.set(page, i);
  }
  protected override fill(page: number, frame: Uint8Array): void {
    const i = this.index.get(page);
    if (i === undefined) frame.fill(0);
    else frame.set(this.journal.records[i]!.bytes);
  }
  override pageOut(page: number, frame: Uint8Array, _dirty: boolean): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    this.append(page, frame);
    return ResultCode.Success;
  }
  protected append(page: number, frame: Uint8Array): void {
    this.index.set(page, this.journal.records.push({ page, bytes: frame.slice() }) - 1);
  }
  override destroy(): void {
    this.destroyed = true;
    this.index.clear();
  }
}

/** Rebuilds its index keeping the first record of each page, not the last: a reopened pager serves pages as first written. */
export class JournalFirstRecordWins extends JournalPager {
  protected override load(page: number, i: number): void {
    if (!this.index.has(page)) this.index.set(page, i);
  }
}

/**
 * Write-behind for flushes: pageOutRun queues the run (served to page-ins meanwhile) and writes it with the
 * next page-out, one write instead of many; destroy forgets the queue, so a flush just before destroy is lost.
 */
export class FlushRunsWriteBehind extends JournalPager {
  private readonly queued = new Map<number, Uint8Array>();
  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] {
    if (this.destroyed) return frames.map(() => ResultCode.PagerDestroyed);
    frames.forEach((frame, i) => this.queued.set(firstPage + i, frame.slice()));
    return frames.map(() => ResultCode.Success);
  }
  protected override fill(page: number, frame: Uint8Array): void {
    const queued = this.queued.get(page);
    if (queued) frame.set(queued);
    else super.fill(page, frame);
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    for (const [p, bytes] of this.queued) if (p !== page) this.append(p, bytes);
    this.queued.clear();
    return super.pageOut(page, frame, dirty);
  }
}

const reopenJournal = (previous: Pager): Pager => new (previous.constructor as typeof JournalPager)((previous as JournalPager).journal);

const anonymous: PagerCapabilities = MapPager.capabilities;
const persistent: PagerCapabilities = JournalPager.capabilities;

export interface BrokenCase {
  name: string;
  make: () => Pager;
  capabilities: PagerCapabilities;
  reopen?: (previous: Pager) => Pager;
  /** Checks of which at least one must fail (the ones aimed at the fault). */
  caughtBy: string[];
  callTimeout?: number;
}

/**
 * Broken pagers for the kit's former blind spots. Run through the whole kit at its default page sizes, each
 * fails the checks in `caughtBy` and no other; `onlyAt` says at which page sizes, when not all of them.
 */
export interface BlindSpotCase extends BrokenCase {
  /** What the kit missed before the check was added. */
  blindSpot: string;
  onlyAt?: number[];
}

export const BROKEN: BrokenCase[] = [
  { name: 'ignores the page number', make: () => new IgnoresPageNumber(), capabilities: anonymous, caughtBy: ['page-number', 'in-flight'] },
  { name: 'keeps page numbers in 32 bits', make: () => new TruncatesPageNumber(), capabilities: anonymous, caughtBy: ['page-number'] },
  { name: 'drops page-outs', make: () => new DropsPageOuts(), capabilities: anonymous, caughtBy: ['round-trip', 'page-number'] },
  { name: 'answers Success without filling', make: () => new SuccessWithoutFilling(), capabilities: anonymous, caughtBy: ['fills-frame', 'never-written'] },
  { name: 'corrupts one byte in a thousand', make: () => new CorruptsOneInAThousand(), capabilities: anonymous, caughtBy: ['never-written', 'round-trip'] },
  {
    name: 'answers AlreadyPagedIn forever',
    make: () => new AlreadyPagedInForever(),
    capabilities: { ...anonymous, tracksState: true },
    caughtBy: ['fills-frame', 'already-paged'],
  },
  { name: 'zero-fills after a page-out', make: () => new ZeroFillsAfterPageOut(), capabilities: anonymous, caughtBy: ['round-trip'] },
  { name: 'keeps a reference to the frame instead of a copy', make: () => new KeepsFrameReference(), capabilities: anonymous, caughtBy: ['round-trip'] },
  { name: 'writes outside the frame', make: () => new WritesOutsideFrame(), capabilities: anonymous, caughtBy: ['fills-frame'] },
  { name: 'accepts a frame of the wrong size', make: () => new AcceptsAnyFrame(), capabilities: anonymous, caughtBy: ['frame-size'] },
  { name: 'serves pages after destroy', make: () => new IgnoresDestroy(), capabilities: anonymous, caughtBy: ['destroyed'] },
  { name: 'declares page-out, answers NotImplemented', make: () => new NoPageOut(), capabilities: anonymous, caughtBy: ['round-trip'] },
  {
    name: 'declares read-only, keeps page-outs',
    make: () => new SecretlyWrites(),
    capabilities: { ...anonymous, pageOut: false, readOnly: true },
    caughtBy: ['not-implemented'],
  },
  { name: 'shares one scratch buffer between calls in flight', make: () => new SharedScratch(), capabilities: anonymous, caughtBy: ['in-flight'] },
  { name: 'answers a page-out before storing it', make: () => new ResolvesBeforeStoring(), capabilities: anonymous, caughtBy: ['round-trip'] },
  { name: 'never answers a page-in', make: () => new NeverAnswers(), capabilities: anonymous, caughtBy: ['fills-frame'], callTimeout: 100 },
  { name: 'answers something that is not a ResultCode', make: () => new AnswersJunk(), capabilities: anonymous, caughtBy: ['fills-frame'] },
  { name: 'forgets a page paged out clean', make: () => new ForgetsCleanPages(), capabilities: anonymous, caughtBy: ['round-trip'] },
  { name: 'writes flushed runs one page too far', make: () => new RunOffByOne(), capabilities: anonymous, caughtBy: ['page-out-run'] },
  { name: 'reads a run as if its frames were adjacent', make: () => new AssumesAdjacentFrames(), capabilities: anonymous, caughtBy: ['page-in-run'] },
  {
    name: 'declares tracksState, never answers AlreadyPaged*',
    make: () => new ForgetsState(),
    capabilities: { ...anonymous, tracksState: true },
    caughtBy: ['already-paged'],
  },
  {
    name: 'reads zeros unless the fault is a write',
    make: () => new ReadsZerosUnlessWriting(),
    capabilities: anonymous,
    caughtBy: ['page-number', 'round-trip'],
  },
];

export const BLIND_SPOTS: BlindSpotCase[] = [
  {
    name: 'zero-fills from a 4096-byte zero page',
    blindSpot: 'one page size only',
    make: () => new AssumesFourKiBPages(),
    capabilities: anonymous,
    // Every check that zero-fills fails, at every page size but 4096.
    caughtBy: [
      'init-destroy',
      'fills-frame',
      'never-written',
      'page-number',
      'round-trip',
      'page-out-run',
      'page-in-run',
      'long-runs',
      'many-pages',
      'rewrite-initial',
      'shared-contents',
      'in-flight',
      'destroyed',
      'frame-size',
      'model-sequential',
      'model-concurrent',
    ],
    onlyAt: [512, 16384],
  },
  {
    name: 'reuses the slots of a fixed table of 1024 pages',
    blindSpot: 'no pager ever held more than 64 pages',
    make: () => new FixedSlotTable(),
    capabilities: anonymous,
    caughtBy: ['many-pages'],
  },
  {
    name: 'does not store all-zero pages',
    blindSpot: 'no page was ever written back to all zeros or to its initial contents',
    make: () => new SkipsZeroPages(),
    capabilities: anonymous,
    caughtBy: ['rewrite-initial'],
  },
  {
    name: 'dedups by content hash and rewrites shared copies in place',
    blindSpot: 'no two pages ever held identical contents that then diverged',
    make: () => new DedupsByContent(),
    capabilities: anonymous,
    caughtBy: ['shared-contents'],
  },
  {
    name: 'writes only the first 4 frames of a run',
    blindSpot: 'flush runs never exceeded four pages',
    make: () => new StagesFourPages(),
    capabilities: anonymous,
    caughtBy: ['long-runs'],
  },
  {
    name: 'reopens its journal keeping the first record of each page',
    blindSpot: 'the persistence check wrote each page once and never rewrote it',
    make: () => new JournalFirstRecordWins(),
    reopen: reopenJournal,
    capabilities: persistent,
    caughtBy: ['model-persistent'],
  },
  {
    name: 'forgets the flush runs it queued when destroyed',
    blindSpot: 'the persistence check never wrote through pageOutRun before reopening',
    make: () => new FlushRunsWriteBehind(),
    reopen: reopenJournal,
    capabilities: persistent,
    caughtBy: ['model-persistent'],
  },
];
