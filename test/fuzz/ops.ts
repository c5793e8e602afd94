// The fuzzer's operations and the seeded generator. Every operation is plain data and means something in
// any state (entities are picked modulo how many exist, offsets are fitted to the target), so any
// subsequence of a run is a valid run: that is what lets a failing run shrink.
import { BUILTIN_POLICIES } from '../../vmcore/index.js';
import { ANSWERS, DELAYS, DESTROY_ANSWERS, RUN_ANSWERS, type Delay } from './pagers.js';
import { Prng } from './prng.js';

export const PROFILES = ['objects', 'swap', 'files', 'spaces', 'mixed'] as const;
export type Profile = (typeof PROFILES)[number];
export const TEARDOWNS = ['orderly', 'abrupt', 'faulty', 'double'] as const;
export type Teardown = (typeof TEARDOWNS)[number];

export interface Config {
  seed: number;
  pageSize: number;
  frames: number;
  policy: string;
  profile: Profile;
  /** Sizes of the data files: f0 and f1 are mapped by address spaces and mapFile, f2 only by mapFile (and truncated). */
  files: number[];
  teardown: Teardown;
}

/** Where an address-space access goes: mostly into a mapped page (the pick-th, at within); raw: at addr. */
export interface Spot {
  raw: boolean;
  pick: number;
  within: number;
  addr: number;
}

/** o: a memory object, m: a mapFile mapping, s: an address space (then `at` is used, not `off`). */
export type On = 'o' | 'm' | 's';

export type Op =
  | { k: 'mkobj'; size: number; delay: Delay; refills: boolean; copyAtEnd: boolean; failInit: boolean; named: boolean }
  | { k: 'mkdef'; size: number }
  | { k: 'usedef'; files: number; limit: number; ext: boolean }
  | { k: 'fuzzdef'; delay: Delay }
  | { k: 'destroy'; i: number }
  | { k: 'mapfile'; f: number; writable: boolean }
  | { k: 'close'; i: number }
  | { k: 'truncate'; keep: number }
  | { k: 'space' }
  | {
      k: 'map';
      s: number;
      src: 'anon' | 'file' | 'object';
      i: number;
      share: 'shared' | 'private';
      prot: number;
      page: number;
      pages: number;
      offset: number;
      fixed: boolean;
      /** With fixed: 'noreplace' (fail with AddressInUseError over a mapping) instead of replacing. */
      noreplace: boolean;
      hint: boolean;
      populate: boolean;
    }
  | { k: 'unmap'; s: number; at: Spot; pages: number }
  | { k: 'protect'; s: number; at: Spot; pages: number; prot: number }
  | { k: 'sync'; s: number; at: Spot; pages: number; invalidate: boolean; async: boolean }
  | { k: 'fork'; s: number }
  | { k: 'asdestroy'; s: number }
  | { k: 'advise'; s: number; at: Spot; pages: number; advice: 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed' }
  | { k: 'lock'; s: number; at: Spot; pages: number }
  | { k: 'unlock'; s: number; at: Spot; pages: number }
  | { k: 'residency'; s: number; at: Spot; pages: number }
  | { k: 'remap'; s: number; at: Spot; pages: number; newPages: number; move: boolean; to: number }
  | { k: 'ext'; action: 'load' | 'unload' | 'force' }
  /** Object i is destroyed while the page-out that object j's read started is in flight, and its pager then rejects. */
  | { k: 'doom'; i: number; j: number; off: number }
  | { k: 'read'; on: On; i: number; off: number; at: Spot; len: number }
  | { k: 'write'; on: On; i: number; off: number; at: Spot; len: number; seed: number; detach: boolean }
  | { k: 'readSync'; on: On; i: number; off: number; at: Spot; len: number }
  | { k: 'writeSync'; on: On; i: number; off: number; at: Spot; len: number; seed: number }
  | { k: 'get'; on: On; i: number; off: number; at: Spot; size: 1 | 2 | 4 | 8 }
  | { k: 'set'; on: On; i: number; off: number; at: Spot; size: 1 | 2 | 4 | 8; value: number }
  | { k: 'flush'; on: 'o' | 'm'; i: number; sync: boolean }
  | { k: 'pin'; i: number; off: number }
  | { k: 'unpin'; i: number; off: number }
  | { k: 'request'; i: number; off: number; write: boolean }
  | { k: 'huge'; i: number; sync: boolean }
  | { k: 'burst'; on: 'o' | 'm'; i: number; off: number; n: number; len: number }
  | { k: 'bad'; on: On; i: number; which: number }
  | { k: 'arm'; p: number; what: 'in' | 'out' | 'run' | 'destroy'; answer: string; n: number }
  | { k: 'fsfault'; fs: 'swap' | 'data'; f: number; op: 'read' | 'write' | 'sync' | 'open' | 'size' | 'realpath'; reason: string; n: number }
  | { k: 'capacity'; fs: 'swap' | 'data'; pages: number }
  | { k: 'corrupt'; f: number; pos: number }
  | { k: 'latency'; mode: 'none' | 'micro' | 'immediate' | 'timer' }
  | { k: 'batch'; ops: Op[] };

export interface Scenario {
  config: Config;
  ops: Op[];
}

/** Pages 1..TOP_PAGE are where mappings go; raw addresses range two pages further. */
export const TOP_PAGE = 10;
export const MAX_SPACES = 6;
/** Readers of one absent page in the rare huge burst: more than a 16-bit pin count holds. */
export const MASS_BURST = 65_536 + 7;

const POLICIES = Object.keys(BUILTIN_POLICIES);

type Kind = Op['k'];
type Weights = Partial<Record<Kind, number>>;

const DATA: Weights = { read: 10, write: 12, readSync: 3, writeSync: 2, get: 3, set: 3, flush: 2, batch: 5, burst: 1, bad: 1 };
const WEIGHTS: Record<Profile, Weights> = {
  objects: { ...DATA, mkobj: 1, destroy: 1, pin: 2, unpin: 2, request: 2, arm: 5, huge: 0.3, ext: 0.5, doom: 0.8 },
  swap: { ...DATA, mkobj: 0.5, mkdef: 1, usedef: 0.3, destroy: 1, pin: 1, unpin: 1, request: 1, arm: 1.5, fsfault: 2.5, capacity: 1, corrupt: 0.7, huge: 0.2 },
  files: { ...DATA, mkobj: 0.5, mapfile: 2, close: 1.2, truncate: 0.5, fsfault: 2.5, capacity: 1, latency: 1, arm: 1, destroy: 0.3 },
  spaces: {
    ...DATA,
    mkobj: 0.5,
    space: 0.5,
    map: 5,
    unmap: 2,
    protect: 2,
    sync: 3,
    fork: 1.5,
    asdestroy: 0.7,
    fuzzdef: 0.2,
    usedef: 0.2,
    arm: 2,
    fsfault: 1,
    latency: 0.5,
    mapfile: 0.5,
    close: 0.3,
    advise: 1.2,
    lock: 1,
    unlock: 1,
    residency: 0.5,
    remap: 1.5,
  },
  mixed: {
    ...DATA,
    mkobj: 0.8,
    mkdef: 0.6,
    usedef: 0.2,
    fuzzdef: 0.2,
    destroy: 0.8,
    mapfile: 1,
    close: 0.7,
    truncate: 0.3,
    space: 0.4,
    map: 3,
    unmap: 1.2,
    protect: 1,
    sync: 1.5,
    fork: 1,
    asdestroy: 0.4,
    pin: 1,
    unpin: 1,
    request: 1,
    huge: 0.2,
    arm: 3,
    fsfault: 2,
    capacity: 0.7,
    corrupt: 0.3,
    latency: 0.6,
    advise: 0.5,
    lock: 0.4,
    unlock: 0.4,
    residency: 0.2,
    remap: 0.6,
    ext: 0.4,
    doom: 0.3,
  },
};
/** Which kind of target data operations pick, per profile. */
const TARGETS: Record<Profile, Record<On, number>> = {
  objects: { o: 1, m: 0, s: 0 },
  swap: { o: 1, m: 0, s: 0 },
  files: { o: 0.3, m: 1, s: 0 },
  spaces: { o: 0.15, m: 0.1, s: 1 },
  mixed: { o: 1, m: 0.6, s: 1 },
};

export function generate(seed: number, count: number): Scenario {
  const r = new Prng(seed);
  const profile = PROFILES[((seed % PROFILES.length) + PROFILES.length) % PROFILES.length]!;
  const pageSize = r.chance(0.85) ? 512 : 1024;
  const config: Config = {
    seed,
    pageSize,
    frames: r.range(2, 5),
    policy: r.pick(POLICIES),
    profile,
    files: [0, 1, 2].map(() => r.range(1, 9) * pageSize + (r.chance(0.5) ? r.range(1, pageSize - 1) : 0)),
    teardown: r.pick(TEARDOWNS),
  };
  const g = new Gen(r, config);
  const ops: Op[] = g.setup();
  while (ops.length < count) ops.push(g.op());
  return { config, ops: ops.slice(0, Math.max(count, 1)) };
}

class Gen {
  private readonly ps: number;
  constructor(
    private readonly r: Prng,
    private readonly c: Config,
  ) {
    this.ps = c.pageSize;
  }

  setup(): Op[] {
    const r = this.r;
    const ops: Op[] = [];
    const p = this.c.profile;
    if (p === 'swap' || (p === 'mixed' && r.chance(0.6))) ops.push(this.usedef());
    if (p === 'spaces' && r.chance(0.5)) ops.push(r.chance(0.5) ? this.usedef() : { k: 'fuzzdef', delay: r.pick(DELAYS) });
    if (p === 'mixed' && r.chance(0.3)) ops.push({ k: 'fuzzdef', delay: r.pick(DELAYS) });
    if (r.chance(0.5)) ops.push({ k: 'ext', action: 'load' });
    const objects = p === 'objects' ? r.range(2, 4) : p === 'files' ? r.range(0, 1) : r.range(1, 2);
    for (let i = 0; i < objects; i++) ops.push(this.mkobj());
    if (p === 'swap' || p === 'mixed') for (let i = r.range(1, 3); i > 0; i--) ops.push({ k: 'mkdef', size: this.size() });
    if (p === 'files' || p === 'mixed') {
      if (r.chance(0.5)) ops.push(this.latency());
      for (let i = r.range(1, 3); i > 0; i--) ops.push(this.mapfile());
    }
    if (p === 'spaces' || p === 'mixed') {
      ops.push({ k: 'space' });
      for (let i = r.range(1, 3); i > 0; i--) ops.push(this.map());
    }
    return ops;
  }

  op(): Op {
    const kind = this.r.weighted(WEIGHTS[this.c.profile] as Record<Kind, number>);
    return this.make(kind);
  }

  private make(kind: Kind): Op {
    const r = this.r;
    switch (kind) {
      case 'mkobj':
        return this.mkobj();
      case 'mkdef':
        return { k: 'mkdef', size: this.size() };
      case 'usedef':
        return this.usedef();
      case 'fuzzdef':
        return { k: 'fuzzdef', delay: r.pick(DELAYS) };
      case 'destroy':
        return { k: 'destroy', i: r.int(8) };
      case 'mapfile':
        return this.mapfile();
      case 'close':
        return { k: 'close', i: r.int(8) };
      case 'truncate':
        return { k: 'truncate', keep: r.int(1000) };
      case 'space':
        return { k: 'space' };
      case 'map':
        return this.map();
      case 'unmap':
        return { k: 'unmap', s: r.int(8), at: this.spot(), pages: this.pages() };
      case 'protect':
        return { k: 'protect', s: r.int(8), at: this.spot(), pages: this.pages(), prot: this.prot() };
      case 'sync':
        return { k: 'sync', s: r.int(8), at: this.spot(), pages: this.pages(), invalidate: r.chance(0.4), async: r.chance(0.25) };
      case 'fork':
        return { k: 'fork', s: r.int(8) };
      case 'asdestroy':
        return { k: 'asdestroy', s: r.int(8) };
      case 'advise':
        return {
          k: 'advise',
          s: r.int(8),
          at: this.spot(),
          pages: this.pages(),
          advice: r.pick(['normal', 'random', 'sequential', 'willneed', 'dontneed', 'dontneed'] as const),
        };
      case 'lock':
      case 'unlock':
      case 'residency':
        return { k: kind, s: r.int(8), at: this.spot(), pages: r.chance(0.8) ? 1 : r.range(1, 3) };
      case 'remap':
        return {
          k: 'remap',
          s: r.int(8),
          at: this.spot(),
          pages: r.range(1, 2),
          newPages: r.range(1, 4),
          move: r.chance(0.6),
          to: r.chance(0.3) ? r.range(1, TOP_PAGE) : 0,
        };
      case 'ext':
        return { k: 'ext', action: r.pick(['load', 'load', 'unload', 'force'] as const) };
      case 'doom':
        return { k: 'doom', i: r.int(8), j: r.int(8), off: r.next() };
      case 'read':
      case 'readSync':
        return { k: kind, ...this.where(), len: this.len() };
      case 'write':
        return { k: 'write', ...this.where(), len: this.len(), seed: r.next(), detach: r.chance(0.04) };
      case 'writeSync':
        return { k: 'writeSync', ...this.where(), len: this.len(), seed: r.next() };
      case 'get':
        return { k: 'get', ...this.where(), size: r.pick([1, 2, 4, 8] as const) };
      case 'set':
        return { k: 'set', ...this.where(), size: r.pick([1, 2, 4, 8] as const), value: r.next() };
      case 'flush': {
        const on = this.target() === 'm' ? 'm' : 'o';
        return { k: 'flush', on, i: r.int(8), sync: r.chance(0.5) };
      }
      case 'pin':
        return { k: 'pin', i: r.int(8), off: r.next() };
      case 'unpin':
        return { k: 'unpin', i: r.int(8), off: r.next() };
      case 'request':
        return { k: 'request', i: r.int(8), off: r.next(), write: r.chance(0.5) };
      case 'huge':
        return { k: 'huge', i: r.int(8), sync: r.chance(0.5) };
      case 'burst': {
        const on = this.target() === 'm' ? 'm' : 'o';
        const n = r.chance(0.02) ? MASS_BURST : r.range(2, 48);
        return { k: 'burst', on, i: r.int(8), off: r.next(), n, len: r.range(1, 16) };
      }
      case 'bad':
        return { k: 'bad', on: this.target(), i: r.int(8), which: r.int(16) };
      case 'arm':
        return this.arm();
      case 'fsfault': {
        const fs = this.c.profile === 'swap' || (this.c.profile !== 'files' && r.chance(0.5)) ? 'swap' : 'data';
        const ops = fs === 'swap' ? (['read', 'write'] as const) : (['read', 'write', 'write', 'sync', 'open', 'size', 'realpath'] as const);
        const reason = r.pick(['EIO', 'EIO', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EACCES', 'EROFS'] as const);
        return { k: 'fsfault', fs, f: r.int(8), op: r.pick(ops), reason, n: r.range(1, 3) };
      }
      case 'capacity':
        return { k: 'capacity', fs: this.c.profile === 'files' ? 'data' : r.chance(0.7) ? 'swap' : 'data', pages: r.chance(0.4) ? -1 : r.int(4) };
      case 'corrupt':
        return { k: 'corrupt', f: r.int(8), pos: r.next() };
      case 'latency':
        return this.latency();
      case 'batch':
        return this.batch();
    }
  }

  private batch(): Op {
    const r = this.r;
    if (this.target() === 's' && r.chance(0.4)) {
      // More concurrent address-space accesses than there are frames.
      const n = r.range(this.c.frames + 1, this.c.frames * 4);
      const s = r.int(8);
      const ops: Op[] = [];
      for (let j = 0; j < n; j++) {
        const at: Spot = { raw: false, pick: r.int(64), within: r.int(this.ps), addr: 0 };
        const len = r.range(1, 32);
        ops.push(r.chance(0.7) ? { k: 'read', on: 's', i: s, off: 0, at, len } : { k: 'write', on: 's', i: s, off: 0, at, len, seed: r.next(), detach: false });
      }
      return { k: 'batch', ops };
    }
    const members: Kind[] = ['read', 'read', 'write', 'write', 'readSync', 'get', 'set', 'flush', 'burst', 'request', 'pin'];
    const p = this.c.profile;
    if (p !== 'spaces') members.push('destroy');
    if (p === 'files' || p === 'mixed' || p === 'spaces') members.push('mapfile', 'mapfile', 'close');
    if (p === 'spaces' || p === 'mixed') members.push('map', 'unmap', 'sync', 'asdestroy');
    const ops: Op[] = [];
    for (let j = r.range(2, 8); j > 0; j--) {
      const kind = r.pick(members);
      ops.push(kind === 'burst' ? { k: 'burst', on: 'o', i: r.int(8), off: r.next(), n: r.range(2, 12), len: r.range(1, 16) } : this.make(kind));
    }
    return { k: 'batch', ops };
  }

  private arm(): Op {
    const r = this.r;
    const what = r.weighted({ in: 4, out: 4, run: 1.5, destroy: 0.7 });
    const honest = ANSWERS.filter((a) => a !== 'ok');
    const answer = what === 'run' ? r.pick(RUN_ANSWERS) : what === 'destroy' ? r.pick(DESTROY_ANSWERS) : r.pick(honest);
    // Now and then more AlreadyPagedIn answers in a row than vmcore retries.
    const n = answer === 'AlreadyPagedIn' && r.chance(0.3) ? r.range(8, 10) : r.range(1, 3);
    return { k: 'arm', p: r.int(16), what, answer, n };
  }

  private mkobj(): Op {
    const r = this.r;
    return {
      k: 'mkobj',
      size: r.chance(0.04) ? 2 ** 50 : this.size(),
      delay: r.pick(DELAYS),
      refills: r.chance(0.5),
      copyAtEnd: r.chance(0.5),
      failInit: r.chance(0.03),
      named: r.chance(0.15),
    };
  }

  private usedef(): Op {
    const r = this.r;
    return { k: 'usedef', files: r.range(1, 3), limit: r.chance(0.35) ? r.range(2, 12) : 0, ext: r.chance(0.5) };
  }

  private mapfile(): Op {
    return { k: 'mapfile', f: this.r.int(3), writable: this.r.chance(0.75) };
  }

  private latency(): Op {
    return { k: 'latency', mode: this.r.pick(['none', 'micro', 'immediate', 'timer'] as const) };
  }

  private map(): Op {
    const r = this.r;
    const src = r.weighted({ anon: 3, file: this.c.profile === 'spaces' || this.c.profile === 'mixed' ? 2.5 : 1, object: 1.5 });
    return {
      k: 'map',
      s: r.int(8),
      src,
      i: r.int(8),
      share: r.chance(0.5) ? 'shared' : 'private',
      prot: this.prot(),
      page: r.range(1, TOP_PAGE - 2),
      pages: r.range(1, 4),
      offset: r.int(3),
      fixed: r.chance(0.2),
      noreplace: r.chance(0.3),
      hint: r.chance(0.5),
      populate: r.chance(0.15),
    };
  }

  private size(): number {
    const r = this.r;
    return r.range(1, 8) * this.ps + (r.chance(0.4) ? r.range(1, this.ps - 1) : 0);
  }

  private pages(): number {
    return this.r.chance(0.8) ? this.r.range(1, 2) : this.r.range(1, 5);
  }

  private prot(): number {
    return this.r.chance(0.6) ? 3 : this.r.int(8);
  }

  private len(): number {
    const r = this.r;
    if (r.chance(0.03)) return 0;
    return r.chance(0.8) ? r.range(1, 64) : r.range(1, Math.floor(2.5 * this.ps));
  }

  private target(): On {
    return this.r.weighted(TARGETS[this.c.profile]);
  }

  private spot(): Spot {
    const r = this.r;
    return {
      raw: r.chance(0.15),
      pick: r.int(64),
      within: r.chance(0.75) ? r.int(this.ps) : r.range(this.ps - 8, this.ps - 1),
      addr: r.int((TOP_PAGE + 2) * this.ps),
    };
  }

  private where(): { on: On; i: number; off: number; at: Spot } {
    return { on: this.target(), i: this.r.int(8), off: this.r.next(), at: this.spot() };
  }
}

/** One line per operation, for failure reports. */
export function describeOps(ops: readonly Op[], indent = '  '): string {
  return ops.map((op, i) => `${indent}${String(i + 1).padStart(3)}. ${JSON.stringify(op)}`).join('\n');
}

/** How many operations `ops` issue (a batch's members each count; a burst counts its readers). */
export function countOps(ops: readonly Op[]): number {
  let n = 0;
  for (const op of ops) n += op.k === 'batch' ? countOps(op.ops) : 1;
  return n;
}
