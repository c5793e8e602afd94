/**
 * Copies between a caller's buffer and mapped pages: the async `read` / `write` (faulting pages in as they
 * go) and the synchronous `readSync` / `writeSync` (ready pages only). Bytes past the end of an object read
 * as zero and writes to them are dropped; unwritten anonymous pages (the zero page) read as zeros.
 */
import { DestroyedError } from '../errors.js';
import type { Access } from '../pager/access.js';
import { checkStillAttached } from '../validate.js';
import { AddressNotResidentError, BusError } from './errors.js';
import type { Shadow } from './levels.js';
import { PROT } from './prot.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';
import { copyUp, MAX_ROUNDS, regionFor } from './trap.js';

/**
 * The async read and write, page by page (the range was prechecked). Each page's bytes move through its
 * memory object's own read or write, which pins the frame from the fault to the copy: with more accesses in
 * flight than frames, each still makes progress (trapping first and copying after would let another access
 * evict the page in between, forever). A private write first copies the page up into the top shadow, once;
 * a DestroyedError (an unmap racing the access) sends it to look the page up again, a bounded number of times.
 */
export async function copyAsync(s: SpaceState, address: number, buf: Uint8Array, write: boolean): Promise<void> {
  const ps = s.pageSize;
  const access: Access = write ? 'write' : 'read';
  const need = write ? PROT.WRITE : PROT.READ;
  const t = s.translator;
  const end = address + buf.length;
  for (let pos = address; pos < end;) {
    const next = Math.min(pos - (pos % ps) + ps, end);
    const at = pos - address;
    const m = next - pos;
    for (let round = 1; ; round++) {
      s.checkAlive();
      const r = regionFor(s, pos, access, need);
      const within = pos % ps;
      const idx = r.page + (pos - within - r.start) / ps;
      const st = t.translate(r.level, idx, write);
      if (st === Translation.BusError) throw new BusError(pos, access);
      if (st === Translation.Zero) {
        buf.fill(0, at, at + m);
        break;
      }
      try {
        if (st === Translation.CopyNeeded) {
          await copyUp(s, r.level as Shadow, idx, t.object, t.page);
          continue; // the top shadow holds the page now: write it there
        }
        const obj = t.object!;
        const off = t.page * ps + within;
        // Bytes past the end of an object read as zero; writes to them are dropped.
        const inside = Math.max(0, Math.min(m, obj.size - off));
        if (write) {
          checkStillAttached('bytes', buf, at + m);
          if (inside > 0) await obj.write(off, buf.subarray(at, at + inside));
        } else {
          if (inside > 0) await obj.readInto(off, buf.subarray(at, at + inside));
          buf.fill(0, at + inside, at + m);
        }
        break;
      } catch (err) {
        if (!(err instanceof DestroyedError) || round >= MAX_ROUNDS) throw err;
      }
    }
    pos = next;
  }
}

/**
 * The synchronous copy between `buf` and ready pages: every page is checked (the fault, or
 * AddressNotResidentError) before a byte moves. A range within one page is checked and copied in one walk;
 * a longer one is walked twice, once to check every page and once to copy.
 */
export function copySync(s: SpaceState, address: number, buf: Uint8Array, write: boolean): void {
  const ps = s.pageSize;
  if (buf.length > 0 && Math.floor(address / ps) !== Math.floor((address + buf.length - 1) / ps)) transfer(s, address, buf, write, false);
  transfer(s, address, buf, write, true);
}

/** Checks each page of the range is ready (throwing the fault or AddressNotResidentError), and with `apply` copies it. */
function transfer(s: SpaceState, address: number, buf: Uint8Array, write: boolean, apply: boolean): void {
  const ps = s.pageSize;
  const access: Access = write ? 'write' : 'read';
  const need = write ? PROT.WRITE : PROT.READ;
  const t = s.translator;
  const end = address + buf.length;
  for (let pos = address; pos < end;) {
    const r = regionFor(s, pos, access, need);
    const within = pos % ps;
    const idx = r.page + (pos - within - r.start) / ps;
    const m = Math.min(ps - within, end - pos);
    const st = t.translate(r.level, idx, write);
    if (st === Translation.BusError) throw new BusError(pos, access);
    if (st === Translation.CopyNeeded) throw new AddressNotResidentError(pos, access, Math.floor(pos / ps));
    const at = pos - address;
    if (st === Translation.Zero) {
      if (apply) buf.fill(0, at, at + m);
    } else {
      const obj = t.object!;
      if (!obj.isResident(t.page * ps, 1)) throw new AddressNotResidentError(pos, access, Math.floor(pos / ps));
      const off = t.page * ps + within;
      const inside = Math.max(0, Math.min(m, obj.size - off));
      if (apply && write) {
        if (inside > 0) obj.writeSync(off, inside === buf.length ? buf : buf.subarray(at, at + inside));
      } else if (apply) {
        if (inside > 0) buf.set(obj.readSync(off, inside), at);
        if (inside < m) buf.fill(0, at + inside, at + m);
      }
    }
    pos += m;
  }
}
