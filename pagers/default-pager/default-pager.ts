import { inject, injectable } from 'inversify';
import { InvalidArgumentError, Pager, ResultCode, type Access, type PagerContext } from '../../vmcore/index.js';
import { TOKENS } from '../../vmcore/index.js';
import { entry, makePageTable, PageState, slotOf, stateOf, type PageTable } from './page-table.js';
import type { SwapSpace } from './swap-space.js';

/**
 * SPIN's real default pager: the first fault of a page is a zero-filled page, page-outs go to a SwapSpace,
 * and the answers AlreadyPagedIn / AlreadyPagedOut come from a state kept per page.
 *
 * Clean pages: a page that comes in from swap keeps its slot (unless swap is crowded), so evicting it
 * unchanged later costs no write; a zero-filled page evicted unchanged goes back to "never written". A page
 * whose slot is stale is always written. `refillsCleanPages` stays false so vmcore asks before dropping any
 * page: the pager alone knows whether the page is safe elsewhere. When swap runs out, slots held for pages
 * in memory are given back (SwapSpace.reclaim) before anyone is told DeviceFull.
 *
 * Everything is synchronous: each answer is a ResultCode, never a promise.
 */
@injectable()
export class DefaultPager extends Pager {
  /** What it does, for the conformance kit (`spinvm/conformance`). */
  static readonly capabilities = {
    pageOut: true,
    persistent: false,
    readOnly: false,
    zeroFill: true,
    tracksState: true,
    checksFrames: true,
    answersDestroyed: true,
  };
  private table: PageTable | undefined;
  /** Pages in memory that hold a slot (reclaimable). */
  private slotsHeldInMemory = 0;
  private destroyed = false;
  private removeReclaimer: (() => void) | undefined;

  constructor(@inject(TOKENS.SwapSpace) readonly swap: SwapSpace) {
    super();
  }

  /** False: only the pager knows whether a clean page is still in swap, so vmcore must ask (pageOut, dirty=false). */
  override get refillsCleanPages(): boolean {
    return false;
  }

  override init(context: PagerContext): void {
    if (context.pageSize !== this.swap.pageSize) {
      throw new InvalidArgumentError('pageSize', context.pageSize, `the swap space's page size (${this.swap.pageSize})`);
    }
    if (this.table) throw new InvalidArgumentError('pager', this, 'a DefaultPager not already serving a memory object');
    super.init(context);
    this.table = makePageTable(context.pageCount);
    this.removeReclaimer = this.swap.addReclaimer(() => this.giveBackSlots());
  }

  override pageIn(page: number, frame: Uint8Array, _access: Access): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const table = this.table!;
    const e = table.get(page);
    switch (stateOf(e)) {
      case PageState.NeverWritten:
        frame.fill(0);
        table.set(page, entry(PageState.ZeroFilled, -1));
        return ResultCode.Success;
      case PageState.SwappedOut: {
        const slot = slotOf(e);
        // Throws SwapIntegrityError or a FileSystemError; the page then stays swapped out, never half-read.
        this.swap.readSync(slot, frame, this.context.name, page);
        if (this.swap.crowded) {
          this.swap.free(slot);
          table.set(page, entry(PageState.InMemory, -1));
        } else {
          table.set(page, entry(PageState.InMemoryBacked, slot));
          this.slotsHeldInMemory++;
        }
        return ResultCode.Success;
      }
      default:
        return ResultCode.AlreadyPagedIn; // SPIN's answer: the page is in memory already
    }
  }

  override pageOut(page: number, frame: Uint8Array, dirty: boolean): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    const table = this.table!;
    const e = table.get(page);
    const state = stateOf(e);
    let slot = slotOf(e);
    if (!dirty) {
      // Unchanged since it came in: if that copy is still somewhere, nothing needs writing.
      if (state === PageState.SwappedOut) return ResultCode.AlreadyPagedOut;
      if (state === PageState.ZeroFilled) {
        table.set(page, 0);
        return ResultCode.Success;
      }
      if (state === PageState.InMemoryBacked) {
        this.slotsHeldInMemory--;
        table.set(page, entry(PageState.SwappedOut, slot));
        return ResultCode.Success;
      }
    }
    // A dirty page in state SwappedOut was flushed and written again while resident: it is written too.
    const fresh = slot < 0;
    if (fresh) {
      slot = this.swap.allocate();
      if (slot < 0) return ResultCode.DeviceFull; // state unchanged: vmcore keeps the page
    } else if (state === PageState.InMemory || state === PageState.InMemoryBacked) {
      this.slotsHeldInMemory--; // counted again below if the write fails
    }
    let written: boolean;
    try {
      written = this.swap.writeSync(slot, frame);
    } catch (err) {
      this.writeFailed(page, e, slot, fresh);
      throw err; // vmcore reports a PagerIoError and keeps the page
    }
    if (!written) {
      this.writeFailed(page, e, slot, fresh);
      return ResultCode.DeviceFull;
    }
    table.set(page, entry(PageState.SwappedOut, slot));
    return ResultCode.Success;
  }

  /** Frees every slot of the object; every later call answers PagerDestroyed. */
  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.removeReclaimer?.();
    const table = this.table;
    if (!table) return;
    if (!this.swap.closed) {
      table.forEach((_page, e) => {
        const slot = slotOf(e);
        if (slot >= 0) this.swap.free(slot);
      });
    }
    table.clear();
    this.slotsHeldInMemory = 0;
  }

  /** For tests and tools: the state of `page` and the slot it holds (-1 for none). */
  pageState(page: number): { state: PageState; slot: number } {
    const e = this.table?.get(page) ?? 0;
    return { state: stateOf(e), slot: slotOf(e) };
  }

  /** A failed write leaves the slot's contents unknown: a fresh slot goes back, a held one is kept as stale. */
  private writeFailed(page: number, e: number, slot: number, fresh: boolean): void {
    if (fresh) {
      this.swap.free(slot); // the page's state is untouched
      return;
    }
    this.table!.set(page, entry(PageState.InMemory, slot));
    this.slotsHeldInMemory++;
  }

  /** The reclaimer: frees the slots of pages that are in memory (their frames are the copy that counts). */
  private giveBackSlots(): number {
    if (this.slotsHeldInMemory === 0 || this.destroyed) return 0;
    let freed = 0;
    this.table!.forEach((page, e) => {
      const state = stateOf(e);
      if ((state === PageState.InMemory || state === PageState.InMemoryBacked) && slotOf(e) >= 0) {
        this.swap.free(slotOf(e));
        this.table!.set(page, entry(PageState.InMemory, -1));
        freed++;
      }
    });
    this.slotsHeldInMemory = 0;
    return freed;
  }
}
