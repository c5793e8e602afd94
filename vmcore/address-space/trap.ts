/**
 * The trap: an address space's page-fault handler (Pedigree's MemoryMapManager::trap, SerenityOS's
 * Region::handle_fault, FreeBSD's vm_fault). It makes pages ready for an access: resident in the object that
 * backs them, copied up into the top shadow for a private write, allocated for a first anonymous write.
 *
 * Invariants:
 * - A fault acts on one translate of its page (translate.ts): the checks (no mapping, rights, past the end)
 *   and what to do (nothing for the zero page, page the object in, or copy up) come from the same answer,
 *   acted on at once, before anything else can change the chain.
 * - A range is checked whole before anything is done: a fault anywhere throws, and no page was touched.
 * - Only the top shadow is ever written. The levels below it are frozen (a fork shares them between two
 *   tops), so a copy-up reads them and writes the top. The zero page is only ever a copy's source.
 * - One copy per page per top: concurrent faults on a page share the copy in flight (`top.copying`), and
 *   the page joins `top.owned` only once its bytes are in the top's object. Each copy-up calls `changed()`.
 * - No promise when the pager answers synchronously: a fault answers undefined when the page is ready now.
 * - Pages of a range can evict each other: a trap of several pages is over only when all are ready at
 *   once, retried a bounded number of times (MAX_ROUNDS), letting timers and I/O run between rounds.
 */
import { DestroyedError, OutOfMemoryError } from '../errors.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import type { Access } from '../pager/access.js';
import { BusError, ProtectionFault, SegmentationFault } from './errors.js';
import type { Shadow } from './levels.js';
import { protFor, protNames } from './prot.js';
import type { Region } from './regions.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';
import { zeroPage } from './zero-page.js';

/** How many times an access is retried when what it waited on was destroyed under it (an unmap racing it). */
export const MAX_ROUNDS = 8;

const noop = (): void => {};

/**
 * Makes `address .. address + length` ready for `access` (arguments checked by the caller). Answers undefined
 * when that is so now, else a promise; throws SegmentationFault, ProtectionFault or BusError at once.
 */
export function trap(s: SpaceState, address: number, length: number, access: Access): Promise<void> | undefined {
  const ps = s.pageSize;
  if (Math.floor(address / ps) === Math.floor((address + length - 1) / ps)) {
    // One page (the accessors' case): its one translate is the check and the fault, and one page cannot
    // evict itself, so it is ready as soon as its fault is over.
    const p = faultPage(s, address, access);
    return p === undefined ? undefined : settle(s, address, length, access, [p]);
  }
  precheck(s, address, length, access);
  const pending = faultAll(s, address, length, access);
  if (pending === undefined && ready(s, address, length, access)) return undefined;
  return settle(s, address, length, access, pending ?? []);
}

/** The region at `address` if it allows `access` (whose bit is `need`); throws SegmentationFault or ProtectionFault. */
export function regionFor(s: SpaceState, address: number, access: Access, need: number): Region {
  const r = s.regions.lookup(address);
  if (r === undefined) throw new SegmentationFault(address, access);
  if ((r.prot & need) === 0) throw new ProtectionFault(address, access, protNames(r.prot));
  return r;
}

/** Throws the first fault of the range (no mapping, wrong rights, past the end of a file), page by page; does nothing else. */
export function precheck(s: SpaceState, address: number, length: number, access: Access): void {
  const ps = s.pageSize;
  const need = protFor(access);
  const end = address + length;
  for (let pos = address; pos < end;) {
    const r = regionFor(s, pos, access, need);
    const stop = Math.min(r.end, end);
    for (; pos < stop; pos = pos - (pos % ps) + ps) {
      if (s.translator.translate(r.level, r.page + Math.floor((pos - r.start) / ps), false) === Translation.BusError) throw new BusError(pos, access);
    }
  }
}

/** Makes the page at `address` ready for `access`: undefined when it is now, else the fault's promise. Throws faults. */
function faultPage(s: SpaceState, address: number, access: Access): Promise<void> | undefined {
  const r = regionFor(s, address, access, protFor(access));
  const idx = r.page + Math.floor((address - r.start) / s.pageSize);
  const t = s.translator;
  switch (t.translate(r.level, idx, access === 'write')) {
    case Translation.Zero:
      return undefined; // the zero page: nothing to allocate
    case Translation.BusError:
      throw new BusError(address, access);
    case Translation.Page:
      return t.object!.request(t.page, access);
    case Translation.CopyNeeded:
      return copyUp(s, r.level as Shadow, idx, t.object, t.page);
  }
}

/**
 * Faults each page of a checked range in turn. Each page is translated as it is resolved rather than reusing
 * the check's answers: resolving a page runs pager code and copies, and the answers are one shared record.
 */
function faultAll(s: SpaceState, address: number, length: number, access: Access): Array<Promise<void>> | undefined {
  const ps = s.pageSize;
  let pending: Array<Promise<void>> | undefined;
  try {
    for (let pos = address; pos < address + length; pos = pos - (pos % ps) + ps) {
      const p = faultPage(s, pos, access);
      if (p !== undefined) (pending ??= []).push(p);
    }
  } catch (err) {
    if (pending) for (const p of pending) p.catch(noop);
    throw err;
  }
  return pending;
}

/** Waits for the faults, then faults again until every page is ready at once (or the rounds run out). */
async function settle(s: SpaceState, address: number, length: number, access: Access, pending: Array<Promise<void>>): Promise<void> {
  for (let round = 1; ; round++) {
    try {
      await Promise.all(pending);
    } catch (err) {
      if (!(err instanceof DestroyedError) || round >= MAX_ROUNDS) throw err;
    }
    s.checkAlive();
    if (ready(s, address, length, access)) return;
    if (round >= MAX_ROUNDS) {
      const pages = Math.floor((address + length - 1) / s.pageSize) - Math.floor(address / s.pageSize) + 1;
      throw new OutOfMemoryError(
        s.host.frames,
        `the ${pages} pages at 0x${address.toString(16)} never were resident at once: the pool cannot hold them beside its pinned frames, or other faults kept evicting them`,
      );
    }
    // Evicted again before every page was in: let timers and I/O run before trying again, so traps that
    // keep evicting each other over a pager answering from microtasks never freeze the process.
    await new Promise<void>((resolve) => setImmediate(resolve));
    s.checkAlive();
    pending = faultAll(s, address, length, access) ?? [];
  }
}

/** Whether every page of the range is ready for `access` now: the synchronous accessors will not fault. */
function ready(s: SpaceState, address: number, length: number, access: Access): boolean {
  const ps = s.pageSize;
  const need = protFor(access);
  const t = s.translator;
  for (let pos = address; pos < address + length; pos = pos - (pos % ps) + ps) {
    const r = s.regions.lookup(pos);
    if (r === undefined || (r.prot & need) === 0) return false;
    const st = t.translate(r.level, r.page + Math.floor((pos - r.start) / ps), access === 'write');
    if (st === Translation.Zero) continue;
    if (st !== Translation.Page || t.object!.isDestroyed || !t.object!.isResident(t.page * ps, 1)) return false;
  }
  return true;
}

/**
 * Copy-up: the first write to page `idx` of `top`, a page it does not hold. Copies the page from `source`'s
 * page `sourcePage` (what the translate answered CopyNeeded with; undefined: the zero page) into the top
 * shadow's own object, which then holds it. Undefined when done synchronously, else the copy's promise.
 */
export function copyUp(s: SpaceState, top: Shadow, idx: number, source: MemoryObject | undefined, sourcePage: number): Promise<void> | undefined {
  const inflight = top.copying?.get(idx);
  if (inflight !== undefined) return inflight;
  const ps = s.pageSize;
  const obj = objectOf(s, top);
  if (source === undefined || source.isResident(sourcePage * ps, 1)) {
    // Take the source bytes first: faulting the top's page in may evict the source page.
    const data = source === undefined ? zeroPage(ps) : wholePage(ps, source.readSync(sourcePage * ps, Math.min(ps, source.size - sourcePage * ps)));
    const answer = obj.request(idx, 'write');
    if (answer === undefined) {
      obj.writeSync(idx * ps, data);
      top.owned.add(idx);
      s.changed();
      return undefined;
    }
    return tracked(
      s,
      top,
      idx,
      answer.then(() => obj.write(idx * ps, data)),
    );
  }
  const copied = source.read(sourcePage * ps, Math.min(ps, source.size - sourcePage * ps)).then((bytes) => obj.write(idx * ps, wholePage(ps, bytes)));
  return tracked(s, top, idx, copied);
}

/** Registers a copy in flight, so a second fault on the page waits for it; the page is the top's once it is done. */
function tracked(s: SpaceState, top: Shadow, idx: number, work: Promise<void>): Promise<void> {
  const copying = (top.copying ??= new Map());
  const done: Promise<void> = work
    .then(() => {
      if (!top.dead) top.owned.add(idx);
      s.changed();
    })
    .finally(() => {
      if (copying.get(idx) === done) copying.delete(idx);
    });
  copying.set(idx, done);
  return done;
}

/** The last page of an object may be partial: pad it to a whole page of zeros. */
function wholePage(ps: number, bytes: Uint8Array): Uint8Array {
  if (bytes.length === ps) return bytes;
  const page = new Uint8Array(ps);
  page.set(bytes);
  return page;
}

/** The top shadow's memory object, made on its first write from the instance's default pager. */
function objectOf(s: SpaceState, top: Shadow): MemoryObject {
  if (top.dead) throw new DestroyedError(`shadow ${top.label}`);
  return (top.object ??= s.host.createMemoryObject({ size: top.pages * s.pageSize, name: top.label }));
}
