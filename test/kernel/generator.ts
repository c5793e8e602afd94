// Seeded random operation sequences for the kernel differential test (differential.test.ts): map (shared and
// private, file and anonymous), reads and writes crossing pages and mappings, protect, sync (sync, async,
// invalidate), unmap of every shape, fork (and fork of a fork), exit, and growing a file between operations.
//
// A sequence is generated whole from its seed, against a model of the layout only (which page of which space
// maps what, and the files' sizes), never from results, so the same list can be replayed on both sides and
// shrunk by dropping operations.

import { patternPage } from '../../conformance/index.js';
import { Prng } from '../helpers/prng.js';

export const REGION_PAGES = 24;
/** Where every mapping goes, in spinvm and in the kernel: 2^44, far from anything a Python process maps. */
export const REGION_BASE = 2 ** 44;
export const FILES = ['f0', 'f1'] as const;

export type ProtName = 'read' | 'write';
export type SyncMode = 'sync' | 'async' | 'invalidate' | 'invalidate-async';

/**
 * What an operation exercises that spinvm is known (issue 11) to do differently from the kernel until it is
 * fixed. The test's PENDING list names tags whose operations the generator leaves out (development only).
 */
export type Tag =
  /** sync with { async: true } (item 1: the next sync or unmap fails with EBUSY while its fsync runs). */
  | 'async'
  /** a shared file mapping made without write (item 3: its sync or unmap does not write back pages dirtied through another mapping). */
  | 'shared-ro'
  /** protect giving write rights to a shared file mapping made without write (item 2: EACCES). */
  | 'widen-shared-ro'
  /** protect or sync with length 0 (item 4). */
  | 'zero-length'
  /** sync with { invalidate: true } (item 5: a private mapping's own writes are thrown away). */
  | 'invalidate'
  /** the file grows between operations (the mapped size is frozen at the first open). */
  | 'grow'
  /** a file that is empty when mapped (cannot be mapped). */
  | 'empty-file'
  /** a mapping whose file range reaches past the file's last page (must work as on Linux, SIGBUS there). */
  | 'past-end';

interface Base {
  /** The address space (0 is the first; fork names its child). */
  space: number;
  tags?: Tag[];
}

export type Op =
  | (Base & { op: 'map'; addr: number; pages: number; prot: ProtName[]; share: 'shared' | 'private'; kind: 'anon' | 'file'; file?: string; offset?: number })
  | (Base & { op: 'read'; addr: number; len: number; via?: 'trap' })
  | (Base & { op: 'write'; addr: number; len: number; seed: number; via?: 'trap' })
  | (Base & { op: 'protect'; addr: number; pages: number; prot: ProtName[] })
  | (Base & { op: 'sync'; addr: number; pages: number; mode: SyncMode })
  | (Base & { op: 'unmap'; addr: number; pages: number })
  | (Base & { op: 'fork'; child: number })
  | (Base & { op: 'exit' })
  | (Base & { op: 'grow'; file: string; size: number; seed: number });

export interface Sequence {
  seed: number;
  /** spinvm's frame pool: small ones evict (and swap) all the time. */
  frames: number;
  /** Whether the swap pager (for anonymous and private pages) answers asynchronously. */
  asyncSwap: boolean;
  /** The files' first contents (the same on both sides). */
  files: Record<string, Uint8Array>;
  ops: Op[];
}

// ---- byte patterns ----

/** `length` pseudo-random bytes, the same for the same seed: what a write writes, a file starts with or grows by. */
export function pattern(seed: number, length: number): Uint8Array {
  return patternPage(length, seed);
}

// ---- the layout model ----

interface PageInfo {
  prot: number; // 1 read, 2 write
  share: 'shared' | 'private';
  file: string | undefined;
  filePage: number;
  /** The mapping was made with write rights (spinvm opens the file for writing only then). */
  madeWritable: boolean;
}

type Layout = Map<number, PageInfo>;

const protMask = (names: readonly ProtName[]): number => (names.includes('read') ? 1 : 0) | (names.includes('write') ? 2 : 0);

export interface GenerateOptions {
  /** Leave out operations with these tags (the test's PENDING list). */
  exclude?: ReadonlySet<Tag>;
  /** Operations before the final sweep of reads. */
  ops?: number;
}

export function generate(seed: number, ps: number, options: GenerateOptions = {}): Sequence {
  const rng = new Prng(seed);
  const exclude = options.exclude ?? new Set<Tag>();
  const allowed = (tags: readonly Tag[]): boolean => tags.every((t) => !exclude.has(t));

  const files: Record<string, Uint8Array> = {};
  const sizes = new Map<string, number>();
  for (const f of FILES) {
    let size: number;
    const shape = rng.weighted({ empty: allowed(['empty-file']) ? 1 : 0, pages: 4, partial: 5 });
    if (shape === 'empty') size = 0;
    else if (shape === 'pages') size = rng.range(1, 6) * ps;
    else size = rng.range(0, 5) * ps + rng.range(1, ps - 1);
    files[f] = pattern(rng.next(), size);
    sizes.set(f, size);
  }

  const layouts = new Map<number, Layout>([[0, new Map()]]);
  let nextSpace = 1;
  let forks = 0;
  const ops: Op[] = [];
  const count = options.ops ?? rng.range(25, 60);
  const filePages = (f: string): number => Math.ceil(sizes.get(f)! / ps);
  const addr = (page: number, within = 0): number => REGION_BASE + page * ps + within;

  const alive = (): number[] => [...layouts.keys()];
  const mappedPages = (l: Layout): number[] => [...l.keys()].sort((a, b) => a - b);

  /** The run of pages around `p` with the same attributes and consecutive file pages: about one mapping. */
  const runAround = (l: Layout, p: number): [number, number] => {
    const same = (a: PageInfo | undefined, b: PageInfo | undefined, step: number): boolean =>
      a !== undefined &&
      b !== undefined &&
      a.prot === b.prot &&
      a.share === b.share &&
      a.file === b.file &&
      (a.file === undefined || b.filePage - a.filePage === step);
    let lo = p;
    let hi = p + 1;
    while (lo > 0 && same(l.get(lo - 1), l.get(lo), 1)) lo--;
    while (hi < REGION_PAGES && same(l.get(hi - 1), l.get(hi), 1)) hi++;
    return [lo, hi];
  };

  /** A range for protect, sync or unmap, in one of the shapes: whole, head, tail, middle, enclosing, across, anywhere. */
  const pickRange = (l: Layout): [number, number] => {
    const mapped = mappedPages(l);
    const shape = mapped.length === 0 ? 'anywhere' : rng.weighted({ whole: 4, head: 3, tail: 3, middle: 3, enclosing: 2, across: 3, anywhere: 1 });
    let lo: number;
    let hi: number;
    if (shape === 'anywhere') {
      lo = rng.int(REGION_PAGES);
      hi = lo + rng.range(1, 6);
    } else {
      const [a, b] = runAround(l, rng.pick(mapped));
      const n = b - a;
      switch (shape) {
        case 'whole':
          [lo, hi] = [a, b];
          break;
        case 'head':
          [lo, hi] = [a, a + rng.range(1, Math.max(1, n - 1))];
          break;
        case 'tail':
          [lo, hi] = [b - rng.range(1, Math.max(1, n - 1)), b];
          break;
        case 'middle':
          if (n >= 3) {
            lo = a + rng.range(1, n - 2);
            hi = rng.range(lo + 1, b - 1);
          } else [lo, hi] = [a, b];
          break;
        case 'enclosing':
          [lo, hi] = [a - rng.range(0, 2), b + rng.range(1, 2)];
          break;
        default: {
          const other = rng.pick(mapped);
          [lo, hi] = [Math.min(a, other), Math.max(b, other + 1)];
        }
      }
    }
    lo = Math.max(0, Math.min(lo, REGION_PAGES - 1));
    hi = Math.max(lo + 1, Math.min(hi, REGION_PAGES));
    return [lo, hi];
  };

  const pickProt = (weights: Partial<Record<'rw' | 'r' | 'w' | 'none', number>>): ProtName[] => {
    const p = rng.weighted(weights);
    return p === 'rw' ? ['read', 'write'] : p === 'r' ? ['read'] : p === 'w' ? ['write'] : [];
  };

  /** A start address and length for a read or write: mostly in mapped pages, often across pages. */
  const pickAccess = (l: Layout): [number, number] => {
    const mapped = mappedPages(l);
    const page = mapped.length > 0 && rng.chance(0.85) ? rng.pick(mapped) : rng.int(REGION_PAGES);
    const shape = rng.weighted({ small: 4, cross: 4, long: 2 });
    let within: number;
    let len: number;
    if (shape === 'small') {
      within = rng.int(ps);
      len = rng.range(1, 16);
    } else if (shape === 'cross') {
      len = rng.range(2, 64);
      within = ps - rng.range(1, len - 1);
    } else {
      within = rng.int(ps);
      len = rng.range(ps, 3 * ps);
    }
    const start = page * ps + within;
    len = Math.max(1, Math.min(len, REGION_PAGES * ps - start));
    return [REGION_BASE + start, len];
  };

  const writeAllowed = (l: Layout, start: number, len: number): boolean => {
    // Bytes of a shared file page past the end of the file: see the test's POSIX choices.
    for (let pos = start - REGION_BASE; pos < start - REGION_BASE + len; pos = Math.floor(pos / ps) * ps + ps) {
      const info = l.get(Math.floor(pos / ps));
      if (info && info.share === 'shared' && info.file !== undefined) {
        const end = Math.min(start - REGION_BASE + len, Math.floor(pos / ps) * ps + ps);
        if (info.filePage * ps + (end - Math.floor(pos / ps) * ps) > sizes.get(info.file)!) return false;
      }
    }
    return true;
  };

  for (let i = 0; i < count; i++) {
    const spaces = alive();
    const space = rng.pick(spaces);
    const l = layouts.get(space)!;
    const kind = rng.weighted({
      map: l.size === 0 ? 30 : 10,
      read: 22,
      write: 22,
      protect: 7,
      sync: 12,
      unmap: 6,
      fork: spaces.length < 4 && forks < 4 ? 4 : 0,
      exit: spaces.length > 1 ? 1.5 : 0,
      grow: allowed(['grow']) ? 2.5 : 0,
    });
    switch (kind) {
      case 'map': {
        const page = rng.int(REGION_PAGES);
        let pages = Math.min(rng.range(1, 6), REGION_PAGES - page);
        const share = rng.chance(0.5) ? 'shared' : 'private';
        const anon = rng.chance(0.3);
        let prot = pickProt({ rw: 10, r: 6, none: 1, w: 1 });
        const tags: Tag[] = [];
        let file: string | undefined;
        let offset = 0;
        if (!anon) {
          // Often a second view of file pages this space already maps: the pages every mapping shares.
          const views = [...l.values()].filter((v) => v.file !== undefined);
          const alias = views.length > 0 && rng.chance(0.4) ? rng.pick(views) : undefined;
          file = alias?.file ?? rng.pick(FILES);
          const fp = filePages(file);
          if (alias !== undefined && alias.filePage < fp) {
            offset = Math.max(0, alias.filePage - rng.int(2));
            pages = Math.min(pages, fp - offset);
          } else if (rng.chance(0.25) || fp === 0) {
            offset = rng.range(0, fp + 1);
            if (offset + pages > fp) tags.push('past-end');
            if (fp === 0) tags.push('empty-file');
          } else {
            offset = rng.range(0, fp - 1);
            pages = Math.min(pages, fp - offset);
          }
          if (!allowed(tags)) {
            if (fp === 0) break; // left out
            offset = rng.range(0, fp - 1);
            pages = Math.min(pages, fp - offset);
            tags.length = 0;
          }
          if (share === 'shared' && !prot.includes('write')) {
            if (allowed(['shared-ro'])) tags.push('shared-ro');
            else prot = ['read', 'write'];
          }
        }
        const op: Op = anon
          ? { op: 'map', space, addr: addr(page), pages, prot, share, kind: 'anon' }
          : { op: 'map', space, addr: addr(page), pages, prot, share, kind: 'file', file: file!, offset };
        if (tags.length) op.tags = [...new Set(tags)];
        ops.push(op);
        for (let k = 0; k < pages; k++) {
          l.set(page + k, { prot: protMask(prot), share, file, filePage: offset + k, madeWritable: prot.includes('write') });
        }
        break;
      }
      case 'read': {
        const [a, len] = pickAccess(l);
        ops.push({ op: 'read', space, addr: a, len, ...(rng.chance(0.2) ? { via: 'trap' as const } : {}) });
        break;
      }
      case 'write': {
        let [a, len] = pickAccess(l);
        for (let tries = 0; tries < 4 && !writeAllowed(l, a, len); tries++) [a, len] = pickAccess(l);
        if (!writeAllowed(l, a, len)) break;
        ops.push({ op: 'write', space, addr: a, len, seed: rng.next(), ...(rng.chance(0.2) ? { via: 'trap' as const } : {}) });
        break;
      }
      case 'protect': {
        const zero = allowed(['zero-length']) && rng.chance(0.06);
        const [lo, hi] = pickRange(l);
        const prot = pickProt({ rw: 6, r: 6, none: 3, w: 1 });
        const tags: Tag[] = zero ? ['zero-length'] : [];
        if (!zero && prot.includes('write')) {
          let widens = false;
          for (let p = lo; p < hi; p++) {
            const info = l.get(p);
            if (info && info.share === 'shared' && info.file !== undefined && !info.madeWritable) widens = true;
          }
          if (widens) tags.push('widen-shared-ro');
        }
        if (!allowed(tags)) break;
        ops.push({ op: 'protect', space, addr: addr(lo), pages: zero ? 0 : hi - lo, prot, ...(tags.length ? { tags } : {}) });
        let whole = true;
        for (let p = lo; p < hi; p++) if (!l.has(p)) whole = false;
        if (whole && !zero) for (let p = lo; p < hi; p++) l.get(p)!.prot = protMask(prot);
        break;
      }
      case 'sync': {
        const zero = allowed(['zero-length']) && rng.chance(0.06);
        const mode = rng.weighted<SyncMode>({
          sync: 6,
          async: allowed(['async']) ? 2 : 0,
          invalidate: allowed(['invalidate']) ? 2 : 0,
          'invalidate-async': allowed(['invalidate', 'async']) ? 1 : 0,
        });
        const tags: Tag[] = [];
        if (zero) tags.push('zero-length');
        if (mode.endsWith('async')) tags.push('async');
        if (mode.startsWith('invalidate')) tags.push('invalidate');
        const [lo, hi] = pickRange(l);
        ops.push({ op: 'sync', space, addr: addr(lo), pages: zero ? 0 : hi - lo, mode, ...(tags.length ? { tags } : {}) });
        break;
      }
      case 'unmap': {
        const [lo, hi] = pickRange(l);
        if (rng.chance(0.03)) {
          ops.push({ op: 'unmap', space, addr: addr(lo), pages: 0 }); // EINVAL on both (POSIX: munmap of length 0)
          break;
        }
        ops.push({ op: 'unmap', space, addr: addr(lo), pages: hi - lo });
        for (let p = lo; p < hi; p++) l.delete(p);
        break;
      }
      case 'fork': {
        // Prefer the newest space, so forks of forks are common.
        const from = rng.chance(0.5) ? Math.max(...spaces) : space;
        const child = nextSpace++;
        forks++;
        ops.push({ op: 'fork', space: from, child });
        const copy: Layout = new Map();
        for (const [p, info] of layouts.get(from)!) copy.set(p, { ...info });
        layouts.set(child, copy);
        break;
      }
      case 'exit': {
        ops.push({ op: 'exit', space });
        layouts.delete(space);
        break;
      }
      case 'grow': {
        const file = rng.pick(FILES);
        const size = sizes.get(file)! + (rng.chance(0.5) ? rng.range(1, 2) * ps : rng.range(1, 2 * ps));
        ops.push({ op: 'grow', space: 0, file, size, seed: rng.next(), tags: ['grow'] });
        sizes.set(file, size);
        break;
      }
    }
  }
  // The final sweep: every mapped page of every live space, once (and the first unmapped one).
  for (const space of alive()) {
    const l = layouts.get(space)!;
    let hole = false;
    for (let p = 0; p < REGION_PAGES; p++) {
      if (!l.has(p) && hole) continue;
      if (!l.has(p)) hole = true;
      ops.push({ op: 'read', space, addr: addr(p), len: ps });
    }
  }
  return {
    seed,
    frames: rng.pick([6, 12, 32, 128]),
    asyncSwap: rng.chance(0.3),
    files,
    ops: retag(ops, files, ps),
  };
}

/**
 * The operations with their tags worked out again from the layout and the files' sizes as the operations
 * leave them (a shrunk sequence has lost operations, so what each one does may have changed).
 */
export function retag(ops: readonly Op[], files: Readonly<Record<string, Uint8Array>>, ps: number): Op[] {
  const sizes = new Map(Object.entries(files).map(([f, c]) => [f, c.length]));
  const layouts = new Map<number, Layout>([[0, new Map()]]);
  const page = (a: number): number => Math.floor((a - REGION_BASE) / ps);
  return ops.map((op) => {
    const tags = new Set<Tag>();
    const l = layouts.get(op.space);
    switch (op.op) {
      case 'map': {
        const offset = op.offset ?? 0;
        if (op.kind === 'file') {
          const size = sizes.get(op.file!) ?? 0;
          if (size === 0) tags.add('empty-file');
          if (offset + op.pages > Math.ceil(size / ps)) tags.add('past-end');
          if (op.share === 'shared' && !op.prot.includes('write')) tags.add('shared-ro');
        }
        for (let k = 0; k < op.pages; k++) {
          l?.set(page(op.addr) + k, { prot: protMask(op.prot), share: op.share, file: op.file, filePage: offset + k, madeWritable: op.prot.includes('write') });
        }
        break;
      }
      case 'protect': {
        if (op.pages === 0) tags.add('zero-length');
        let whole = true;
        for (let p = page(op.addr); p < page(op.addr) + op.pages; p++) {
          const info = l?.get(p);
          if (info === undefined) whole = false;
          else if (op.prot.includes('write') && info.share === 'shared' && info.file !== undefined && !info.madeWritable) tags.add('widen-shared-ro');
        }
        if (whole) for (let p = page(op.addr); p < page(op.addr) + op.pages; p++) l!.get(p)!.prot = protMask(op.prot);
        break;
      }
      case 'sync':
        if (op.pages === 0) tags.add('zero-length');
        if (op.mode.endsWith('async')) tags.add('async');
        if (op.mode.startsWith('invalidate')) tags.add('invalidate');
        break;
      case 'unmap':
        for (let p = page(op.addr); p < page(op.addr) + op.pages; p++) l?.delete(p);
        break;
      case 'fork': {
        const copy: Layout = new Map();
        for (const [p, info] of l ?? []) copy.set(p, { ...info });
        layouts.set(op.child, copy);
        break;
      }
      case 'exit':
        layouts.delete(op.space);
        break;
      case 'grow':
        tags.add('grow');
        sizes.set(op.file, Math.max(sizes.get(op.file) ?? 0, op.size));
        break;
      default:
        break;
    }
    const { tags: _old, ...rest } = op;
    return (tags.size ? { ...rest, tags: [...tags].sort() } : rest) as Op;
  });
}

/** The operations left when `drop` (indexes) are removed, with every operation of a space whose fork was removed. */
export function without(ops: readonly Op[], drop: ReadonlySet<number>): Op[] {
  const gone = new Set<number>();
  const out: Op[] = [];
  ops.forEach((op, i) => {
    if (gone.has(op.space)) {
      if (op.op === 'fork') gone.add(op.child);
      return;
    }
    if (drop.has(i)) {
      if (op.op === 'fork') gone.add(op.child);
      return;
    }
    out.push(op);
  });
  return out;
}

const hex = (n: number): string => '0x' + n.toString(16);

/** One line per operation, as failures print them. */
export function describeOp(op: Op, ps: number): string {
  const page = (a: number): string => `p${Math.floor((a - REGION_BASE) / ps)}${(a - REGION_BASE) % ps ? `+${(a - REGION_BASE) % ps}` : ''}`;
  const prot = (p: readonly ProtName[]): string => (p.length === 0 ? 'none' : p.map((n) => n[0]).join(''));
  const s = `s${op.space}`;
  switch (op.op) {
    case 'map':
      return `${s} map ${page(op.addr)} (${hex(op.addr)}) ${op.pages}p ${prot(op.prot)} ${op.share} ${op.kind === 'anon' ? 'anon' : `${op.file}@${op.offset}p`}`;
    case 'read':
      return `${s} read ${page(op.addr)} len ${op.len}${op.via ? ' (trap)' : ''}`;
    case 'write':
      return `${s} write ${page(op.addr)} len ${op.len} seed ${op.seed}${op.via ? ' (trap)' : ''}`;
    case 'protect':
      return `${s} protect ${page(op.addr)} ${op.pages}p ${prot(op.prot)}`;
    case 'sync':
      return `${s} sync ${page(op.addr)} ${op.pages}p ${op.mode}`;
    case 'unmap':
      return `${s} unmap ${page(op.addr)} ${op.pages}p`;
    case 'fork':
      return `${s} fork -> s${op.child}`;
    case 'exit':
      return `${s} exit`;
    case 'grow':
      return `grow ${op.file} to ${op.size} bytes`;
  }
}
