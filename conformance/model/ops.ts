// The reference model's vocabulary: the steps of a randomized run, how each reads in a failure report, and the
// fast-check arbitraries that draw them. Steps name objects by index and bytes by offset. A batch runs its
// steps at once, so its writes must overlap nothing else in it: concurrent writes to one byte have no order
// the model could follow (modelOps draws batches that way; dataApiOps needs the disjointBatches filter).
import fc from 'fast-check';
import { MAX_FLUSH_RUN } from '../../vmcore/index.js';
import { seedFromEnvironment } from '../target.js';

/** One step of a randomized run. */
export type ModelOp =
  | { kind: 'write'; obj: number; offset: number; length: number; seed: number }
  | { kind: 'read'; obj: number; offset: number; length: number }
  /** A read through readSync, which answers only when every page is resident (else the step is skipped). */
  | { kind: 'readSync'; obj: number; offset: number; length: number }
  | { kind: 'flush'; obj: number }
  | { kind: 'batch'; ops: ModelOp[] }
  // The persistence model's steps besides those:
  /** Whole pages `page` .. `page + count - 1`, each a different pattern: flushed, they make long runs. */
  | { kind: 'write-pages'; obj: number; page: number; count: number; seed: number }
  /** Zeros over a span (a whole page or more when it is page-aligned and long enough). */
  | { kind: 'zero'; obj: number; offset: number; length: number }
  /** Page `page` rewritten to its initial contents (what it read as before it was ever written). */
  | { kind: 'initial'; obj: number; page: number }
  /** Page `to` gets the contents page `from` has now: two pages alike, until one of them changes. */
  | { kind: 'copy'; obj: number; from: number; to: number }
  /** Flush, destroy the object (and its pager), reopen the pager over the same store, and go on with a new object. */
  | { kind: 'reopen'; obj: number };

/** The world a run replays its steps in. */
export interface ModelConfig {
  pageSize: number;
  /** Frames in the pool: a few, so pages are evicted all the time. */
  frames: number;
  objects: number;
  /** Bytes per object: not a whole number of pages, so the partial last page is exercised. */
  objectSize: number;
  /** The instance's replacement policy; default the instance's own default. */
  policy?: string;
  /** modelOps draws flush steps (only for pagers that page out). */
  flush?: boolean;
  /** modelOps draws batches of steps at once. */
  batches?: boolean;
  /**
   * The persistence model (persistentOps): writes of whole runs of pages, rewrites to zeros, to initial
   * contents and to another page's contents, flushes and reopenings; at the end every object is flushed and
   * reopened before it is read back.
   */
  persistent?: boolean;
}

/** The seed of the randomized tests: fixed so CI replays the same runs, overridable with SPINVM_SEED. */
export const MODEL_SEED = seedFromEnvironment();

function bytes(offset: number, length: number): string {
  return length === 0 ? `no bytes (at ${offset})` : `bytes ${offset}..${offset + length - 1}`;
}

/** A step as a failure report shows it. */
export function describeOp(op: ModelOp): string {
  switch (op.kind) {
    case 'write':
      return `write object ${op.obj}, ${bytes(op.offset, op.length)} (pattern ${op.seed})`;
    case 'read':
      return `read object ${op.obj}, ${bytes(op.offset, op.length)}`;
    case 'readSync':
      return `readSync object ${op.obj}, ${bytes(op.offset, op.length)}`;
    case 'flush':
      return `flush object ${op.obj}`;
    case 'batch':
      return `at once: ${op.ops.map(describeOp).join('; ')}`;
    case 'write-pages':
      return `write object ${op.obj}, whole pages ${op.page}..${op.page + op.count - 1} (pattern ${op.seed})`;
    case 'zero':
      return `write zeros to object ${op.obj}, ${bytes(op.offset, op.length)}`;
    case 'initial':
      return `rewrite page ${op.page} of object ${op.obj} to its initial contents`;
    case 'copy':
      return `copy page ${op.from} of object ${op.obj} onto page ${op.to}`;
    case 'reopen':
      return `flush object ${op.obj}, destroy it, reopen its pager and map it again`;
  }
}

/** The steps every arbitrary draws from: an object, a span of it at least `minLength` long, writes, reads, flushes. */
function steps(cfg: ModelConfig, minLength: number) {
  const obj = fc.nat({ max: cfg.objects - 1 });
  const span = fc
    .tuple(fc.nat({ max: cfg.objectSize - 1 }), fc.integer({ min: minLength, max: cfg.pageSize * 2 + 3 }))
    .map(([offset, length]) => ({ offset, length: Math.min(length, cfg.objectSize - offset) }));
  const write = fc.record({ obj, span, seed: fc.nat() }).map(({ obj, span, seed }): ModelOp => ({ kind: 'write', obj, ...span, seed }));
  const read = fc.record({ obj, span }).map(({ obj, span }): ModelOp => ({ kind: 'read', obj, ...span }));
  const flush = obj.map((o): ModelOp => ({ kind: 'flush', obj: o }));
  return { obj, span, write, read, flush };
}

/**
 * What level 2 runs a pager through: reads and writes of at least a byte, flushes (with `cfg.flush`), and
 * (with `cfg.batches`) batches over different objects or over different pages of one object (the same pager,
 * several calls in flight), disjoint by construction.
 */
export function modelOps(cfg: ModelConfig): fc.Arbitrary<ModelOp> {
  const ps = cfg.pageSize;
  const { obj, write, read, flush } = steps(cfg, 1);
  const single = fc.oneof({ arbitrary: write, weight: 5 }, { arbitrary: read, weight: 4 }, ...(cfg.flush ? [{ arbitrary: flush, weight: 1 }] : []));
  if (!cfg.batches) return single;
  // At once over different objects...
  const acrossObjects = fc.uniqueArray(single, { minLength: 2, maxLength: cfg.objects, selector: (op) => (op as { obj: number }).obj });
  // ...and over different pages of one object (the same pager, several calls in flight).
  const pages = Math.ceil(cfg.objectSize / ps);
  const onePage = fc
    .record({ page: fc.nat({ max: pages - 1 }), within: fc.nat({ max: ps - 1 }), length: fc.integer({ min: 1, max: ps }), seed: fc.nat(), write: fc.boolean() })
    .map(({ page, within, length, seed, write }) => {
      const offset = Math.min(page * ps + within, cfg.objectSize - 1);
      const len = Math.max(1, Math.min(length, (page + 1) * ps - offset, cfg.objectSize - offset));
      return { page, op: write ? { kind: 'write' as const, offset, length: len, seed } : { kind: 'read' as const, offset, length: len } };
    });
  const acrossPages = fc
    .tuple(obj, fc.uniqueArray(onePage, { minLength: 2, maxLength: Math.min(6, pages), selector: (p) => p.page }))
    .map(([o, list]): ModelOp[] => list.map(({ op }) => ({ ...op, obj: o }) as ModelOp));
  const batch = fc.oneof(acrossObjects, acrossPages).map((ops): ModelOp => ({ kind: 'batch', ops }));
  return fc.oneof({ arbitrary: single, weight: 5 }, { arbitrary: batch, weight: 2 });
}

/**
 * What spinvm's own model tests run: all of the data API, readSync and empty spans included, flushes, and
 * batches of any of them. Batches may overlap: filter the sequences with disjointBatches.
 */
export function dataApiOps(cfg: ModelConfig): fc.Arbitrary<ModelOp> {
  const { obj, span, write, read, flush } = steps(cfg, 0);
  const readSync = fc.record({ obj, span }).map(({ obj, span }): ModelOp => ({ kind: 'readSync', obj, ...span }));
  const single = fc.oneof({ arbitrary: write, weight: 5 }, { arbitrary: read, weight: 4 }, { arbitrary: readSync, weight: 1 }, { arbitrary: flush, weight: 1 });
  const batch = fc.array(single, { minLength: 2, maxLength: 6 }).map((ops): ModelOp => ({ kind: 'batch', ops }));
  return fc.oneof({ arbitrary: single, weight: 6 }, { arbitrary: batch, weight: 1 });
}

/** The persistence model's steps: see ModelConfig.persistent. */
export function persistentOps(cfg: ModelConfig): fc.Arbitrary<ModelOp> {
  const ps = cfg.pageSize;
  const pages = Math.ceil(cfg.objectSize / ps);
  const obj = fc.nat({ max: cfg.objects - 1 });
  const page = fc.nat({ max: pages - 1 });
  const span = (max: number) =>
    fc.tuple(fc.nat({ max: cfg.objectSize - 1 }), fc.integer({ min: 1, max }), fc.boolean()).map(([offset, length, aligned]) => {
      const at = aligned ? offset - (offset % ps) : offset;
      return { offset: at, length: Math.min(aligned ? Math.ceil(length / ps) * ps : length, cfg.objectSize - at) };
    });
  const count = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: Math.max(1, MAX_FLUSH_RUN - 2), max: Math.max(1, pages) }));
  return fc.oneof(
    {
      arbitrary: fc.record({ obj, span: span(ps * 3), seed: fc.nat() }).map(({ obj, span, seed }): ModelOp => ({ kind: 'write', obj, ...span, seed })),
      weight: 4,
    },
    {
      arbitrary: fc
        .record({ obj, page, count, seed: fc.nat() })
        .map(({ obj, page, count, seed }): ModelOp => ({ kind: 'write-pages', obj, page, count: Math.min(count, pages - page), seed })),
      weight: 2,
    },
    { arbitrary: fc.record({ obj, span: span(ps * 2) }).map(({ obj, span }): ModelOp => ({ kind: 'zero', obj, ...span })), weight: 2 },
    { arbitrary: fc.record({ obj, page }).map(({ obj, page }): ModelOp => ({ kind: 'initial', obj, page })), weight: 1 },
    {
      arbitrary: fc
        .record({ obj, from: page, to: page })
        .filter(({ from, to }) => from !== to)
        .map(({ obj, from, to }): ModelOp => ({ kind: 'copy', obj, from, to })),
      weight: 2,
    },
    { arbitrary: fc.record({ obj, span: span(ps * 2) }).map(({ obj, span }): ModelOp => ({ kind: 'read', obj, ...span })), weight: 3 },
    { arbitrary: obj.map((o): ModelOp => ({ kind: 'flush', obj: o })), weight: 2 },
    { arbitrary: obj.map((o): ModelOp => ({ kind: 'reopen', obj: o })), weight: 2 },
  );
}

/** Whether every batch of `ops` keeps its writes apart from everything else in it (see the top of this file). */
export function disjointBatches(ops: readonly ModelOp[]): boolean {
  return ops.every((op) => {
    if (op.kind !== 'batch') return true;
    const spans = op.ops.filter((o) => o.kind === 'write' || o.kind === 'read' || o.kind === 'readSync') as Array<{
      kind: string;
      obj: number;
      offset: number;
      length: number;
    }>;
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        const a = spans[i]!;
        const b = spans[j]!;
        if (a.kind !== 'write' && b.kind !== 'write') continue;
        if (a.obj === b.obj && a.offset < b.offset + b.length && b.offset < a.offset + a.length) return false;
      }
    }
    return true;
  });
}
