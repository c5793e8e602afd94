/** Inspection: what is mapped (mappings, /proc/self/maps), what is resident (residency, mincore) and the totals (stat). */
import type { MemoryObject } from '../memory-object/memory-object.js';
import { bottom, Shadow } from './levels.js';
import { protNames, type ProtName } from './prot.js';
import type { MappingKind, Region, Share } from './regions.js';
import type { SpaceState } from './state.js';
import { Translation } from './translate.js';

export interface AddressSpaceStat {
  /** Bytes mapped. */
  mapped: number;
  /** Bytes of mapped pages that are resident (the zero page is not counted). */
  resident: number;
  /** Resident bytes other mappings may see too: shared mappings, file pages read through private mappings, copy-on-write pages shared since a fork. */
  shared: number;
  /** Resident bytes only this address space sees: its own private copies. */
  private: number;
  /** Number of mappings (a range split by unmap or protect counts once per piece). */
  mappings: number;
}

/** One mapping, as `mappings()` describes it (like a line of /proc/self/maps). */
export interface MappingInfo {
  address: number;
  length: number;
  prot: ProtName[];
  share: Share;
  kind: MappingKind;
  /** Byte offset into the file or object (0 for anonymous memory). */
  offset: number;
  file?: string;
  object?: MemoryObject;
}

/** Whether page `idx` of `r`'s level is resident now (the zero page is not); never asks a file for its size. */
function resident(s: SpaceState, r: Region, idx: number): MemoryObject | undefined {
  const t = s.translator;
  if (t.translate(r.level, idx, false, false) !== Translation.Page) return undefined;
  const obj = t.object!;
  return !obj.isDestroyed && obj.isResident(t.page * s.pageSize, 1) ? obj : undefined;
}

/** mincore of the checked, mapped range: one byte per page, 1 where the page's bytes are resident now. */
export function residency(s: SpaceState, start: number, end: number): Uint8Array {
  const ps = s.pageSize;
  const out = new Uint8Array((end - start) / ps);
  s.regions.each(start, end, (r, from, to) => {
    for (let a = from; a < to; a += ps) if (resident(s, r, r.page + (a - r.start) / ps)) out[(a - start) / ps] = 1;
  });
  return out;
}

export function stat(s: SpaceState): AddressSpaceStat {
  const ps = s.pageSize;
  let mapped = 0;
  let shared = 0;
  let own = 0;
  const count = (r: Region, page: number): void => {
    const obj = resident(s, r, page);
    if (obj === undefined) return;
    if (r.share === 'private' && obj === (r.level as Shadow).object) own += ps;
    else shared += ps;
  };
  for (const r of s.regions.all) {
    mapped += r.end - r.start;
    const pages = (r.end - r.start) / ps;
    const l = r.level;
    if (l instanceof Shadow && l.backing === undefined && l.owned.size < pages) {
      // Anonymous memory with nothing below: only its own pages can be resident.
      for (const p of l.owned) if (p >= r.page && p < r.page + pages) count(r, p);
    } else for (let i = 0; i < pages; i++) count(r, r.page + i);
  }
  return { mapped, resident: shared + own, shared, private: own, mappings: s.regions.count };
}

/** The mappings, in address order. */
export function mappings(s: SpaceState): MappingInfo[] {
  const ps = s.pageSize;
  return s.regions.all.map((r) => {
    const { base, page } = bottom(r.level, r.page);
    const info: MappingInfo = {
      address: r.start,
      length: r.end - r.start,
      prot: protNames(r.prot),
      share: r.share,
      kind: r.kind,
      offset: r.kind === 'anonymous' ? 0 : page * ps,
    };
    if (base !== undefined) {
      if (base.file) info.file = base.label;
      else info.object = base.object;
    }
    return info;
  });
}
