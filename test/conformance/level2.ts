import fc from 'fast-check';
import { MAX_FLUSH_RUN, type MemoryObject } from '../../vmcore/memory-object/memory-object.js';
import type { Pager } from '../../vmcore/pager/pager.js';
import { createVm } from '../../vmcore/vm/vm.js';
import { ConformanceFailure, message, patternPage, stampPage, withTimeout } from './harness.js';
import type { ConformanceCheck } from './level1.js';
import { isPagerInstance, PAGER_BRAND_KEY } from './recognise.js';
import type { CheckedTarget } from './target.js';

/** One step of a randomized run; a batch runs its steps at once (their writes never overlap anything else in it). */
export type ModelOp =
  | { kind: 'write'; obj: number; offset: number; length: number; seed: number }
  | { kind: 'read'; obj: number; offset: number; length: number }
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

export interface ModelConfig {
  objects: number;
  /** Bytes per object: not a whole number of pages, so the partial last page is exercised. */
  objectSize: number;
  /** Frames in the pool: a few, so pages are evicted all the time. */
  frames: number;
  pageSize: number;
  /** Include flush steps (only for pagers that page out). */
  flush: boolean;
  /** Include concurrent batches. */
  batches: boolean;
  /**
   * The persistence model: writes of whole runs of pages, rewrites to zeros, to initial contents and to
   * another page's contents, flushes and reopenings; at the end every object is flushed and reopened
   * before it is read back.
   */
  persistent?: boolean;
}

function opArbitrary(cfg: ModelConfig): fc.Arbitrary<ModelOp> {
  const ps = cfg.pageSize;
  const obj = fc.nat({ max: cfg.objects - 1 });
  const span = fc
    .tuple(fc.nat({ max: cfg.objectSize - 1 }), fc.integer({ min: 1, max: ps * 2 + 3 }))
    .map(([offset, length]) => ({ offset, length: Math.min(length, cfg.objectSize - offset) }));
  const write = fc.record({ obj, span, seed: fc.nat() }).map(({ obj, span, seed }): ModelOp => ({ kind: 'write', obj, ...span, seed }));
  const read = fc.record({ obj, span }).map(({ obj, span }): ModelOp => ({ kind: 'read', obj, ...span }));
  const flush = obj.map((o): ModelOp => ({ kind: 'flush', obj: o }));
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

export function describeOp(op: ModelOp): string {
  switch (op.kind) {
    case 'write':
      return `write object ${op.obj}, bytes ${op.offset}..${op.offset + op.length - 1} (pattern ${op.seed})`;
    case 'read':
      return `read object ${op.obj}, bytes ${op.offset}..${op.offset + op.length - 1}`;
    case 'flush':
      return `flush object ${op.obj}`;
    case 'batch':
      return `at once: ${op.ops.map(describeOp).join('; ')}`;
    case 'write-pages':
      return `write object ${op.obj}, whole pages ${op.page}..${op.page + op.count - 1} (pattern ${op.seed})`;
    case 'zero':
      return `write zeros to object ${op.obj}, bytes ${op.offset}..${op.offset + op.length - 1}`;
    case 'initial':
      return `rewrite page ${op.page} of object ${op.obj} to its initial contents`;
    case 'copy':
      return `copy page ${op.from} of object ${op.obj} onto page ${op.to}`;
    case 'reopen':
      return `flush object ${op.obj}, destroy it, reopen its pager and map it again`;
  }
}

function persistentArbitrary(cfg: ModelConfig): fc.Arbitrary<ModelOp> {
  const ps = cfg.pageSize;
  const pages = Math.ceil(cfg.objectSize / ps);
  const obj = fc.nat({ max: cfg.objects - 1 });
  const page = fc.nat({ max: pages - 1 });
  const span = (max: number) =>
    fc
      .tuple(fc.nat({ max: cfg.objectSize - 1 }), fc.integer({ min: 1, max }), fc.boolean())
      .map(([offset, length, aligned]) => {
        const at = aligned ? offset - (offset % ps) : offset;
        return { offset: at, length: Math.min(aligned ? Math.ceil(length / ps) * ps : length, cfg.objectSize - at) };
      });
  const count = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: Math.max(1, MAX_FLUSH_RUN - 2), max: Math.max(1, pages) }));
  return fc.oneof(
    { arbitrary: fc.record({ obj, span: span(ps * 3), seed: fc.nat() }).map(({ obj, span, seed }): ModelOp => ({ kind: 'write', obj, ...span, seed })), weight: 4 },
    { arbitrary: fc.record({ obj, page, count, seed: fc.nat() }).map(({ obj, page, count, seed }): ModelOp => ({ kind: 'write-pages', obj, page, count: Math.min(count, pages - page), seed })), weight: 2 },
    { arbitrary: fc.record({ obj, span: span(ps * 2) }).map(({ obj, span }): ModelOp => ({ kind: 'zero', obj, ...span })), weight: 2 },
    { arbitrary: fc.record({ obj, page }).map(({ obj, page }): ModelOp => ({ kind: 'initial', obj, page })), weight: 1 },
    { arbitrary: fc.record({ obj, from: page, to: page }).filter(({ from, to }) => from !== to).map(({ obj, from, to }): ModelOp => ({ kind: 'copy', obj, from, to })), weight: 2 },
    { arbitrary: fc.record({ obj, span: span(ps * 2) }).map(({ obj, span }): ModelOp => ({ kind: 'read', obj, ...span })), weight: 3 },
    { arbitrary: obj.map((o): ModelOp => ({ kind: 'flush', obj: o })), weight: 2 },
    { arbitrary: obj.map((o): ModelOp => ({ kind: 'reopen', obj: o })), weight: 2 },
  );
}

/**
 * Replays `ops` on a fresh instance whose objects use pagers from the target, and on a reference model (a
 * byte array per object, holding the declared initial contents); throws on the first disagreement or error,
 * then reads every object back in full.
 */
export async function runModel(t: CheckedTarget, cfg: ModelConfig, ops: readonly ModelOp[]): Promise<void> {
  const vm = createVm({ pageSize: cfg.pageSize, frames: cfg.frames });
  const ps = cfg.pageSize;
  try {
    const objects: MemoryObject[] = [];
    const refs: Uint8Array[] = [];
    const map = (pager: unknown, i: number): MemoryObject => {
      if (!isPagerInstance(pager)) throw new ConformanceFailure(`${t.reopen && objects[i] ? 'reopen' : 'makePager'} answered something that is not a pager (it has no pageIn, pageOut, init and destroy methods)`);
      try {
        return vm.createMemoryObject({ size: cfg.objectSize, pager, name: `model-${i}` });
      } catch (err) {
        const hint = (pager as unknown as Record<symbol, unknown>)[PAGER_BRAND_KEY] === true ? '' : " (it does not carry spinvm's pager brand: does it extend Pager from a second copy of spinvm, or from an old one? install spinvm once, as a peer of your pager)";
        throw new ConformanceFailure(`spinvm refused the pager: ${message(err)}${hint}`, { cause: err });
      }
    };
    for (let i = 0; i < cfg.objects; i++) {
      objects.push(map(await t.makePager(), i));
      const ref = new Uint8Array(cfg.objectSize);
      for (let p = 0; p * ps < cfg.objectSize; p++) ref.set(t.initialPage(p).subarray(0, Math.min(ps, cfg.objectSize - p * ps)), p * ps);
      refs.push(ref);
    }
    const compare = (obj: number, offset: number, seen: Uint8Array, what: string): void => {
      const ref = refs[obj]!;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i] !== ref[offset + i]) {
          const page = Math.floor((offset + i) / ps);
          throw new ConformanceFailure(`${what}: byte ${offset + i} (page ${page}) read ${seen[i]}, the model says ${ref[offset + i]}`);
        }
      }
    };
    const put = async (obj: number, offset: number, data: Uint8Array): Promise<void> => {
      const bytes = data.subarray(0, Math.min(data.length, cfg.objectSize - offset));
      await objects[obj]!.write(offset, bytes);
      refs[obj]!.set(bytes, offset);
    };
    const reopen = async (obj: number): Promise<void> => {
      const old = objects[obj]!;
      await old.flush();
      const previous = old.pager;
      await old.destroy();
      let pager: Pager;
      try {
        pager = await t.reopen!(previous);
      } catch (err) {
        throw new ConformanceFailure(`reopen threw: ${message(err)}`, { cause: err });
      }
      objects[obj] = map(pager, obj);
    };
    const step = async (op: ModelOp): Promise<void> => {
      switch (op.kind) {
        case 'write':
          return put(op.obj, op.offset, patternPage(op.length, op.seed));
        case 'read':
          return compare(op.obj, op.offset, await objects[op.obj]!.read(op.offset, op.length), describeOp(op));
        case 'flush':
          await objects[op.obj]!.flush();
          return;
        case 'batch': {
          const results = await Promise.allSettled(op.ops.map(step));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
          return;
        }
        case 'write-pages': {
          const data = new Uint8Array(op.count * ps);
          for (let i = 0; i < op.count; i++) data.set(stampPage(ps, op.page + i, op.seed), i * ps);
          return put(op.obj, op.page * ps, data);
        }
        case 'zero':
          return put(op.obj, op.offset, new Uint8Array(op.length));
        case 'initial':
          return put(op.obj, op.page * ps, t.initialPage(op.page));
        case 'copy': {
          const from = refs[op.obj]!.slice(op.from * ps, Math.min((op.from + 1) * ps, cfg.objectSize));
          return put(op.obj, op.to * ps, from);
        }
        case 'reopen':
          return reopen(op.obj);
      }
    };
    for (const [i, op] of ops.entries()) {
      try {
        await withTimeout(step(op), t.callTimeout, 'the step');
      } catch (err) {
        throw new ConformanceFailure(`step ${i + 1} (${describeOp(op)}) failed: ${message(err)}`, { cause: err });
      }
    }
    for (let i = 0; i < objects.length; i++) {
      if (cfg.persistent) {
        try {
          await withTimeout(reopen(i), t.callTimeout, `the final reopening of object ${i}`);
        } catch (err) {
          throw new ConformanceFailure(`the final flush and reopening of object ${i} failed: ${message(err)}`, { cause: err });
        }
      }
      const what = cfg.persistent ? `the final read of object ${i}, after it was flushed, destroyed and reopened` : `the final read of object ${i}`;
      compare(i, 0, await withTimeout(objects[i]!.read(0, cfg.objectSize), t.callTimeout, what), what);
    }
  } finally {
    await vm.destroy().catch(() => undefined);
  }
}

/**
 * Runs the property with fast-check; on failure throws a ConformanceFailure with the seed and the shrunk
 * sequence. `frameChoices` are pool sizes the runs draw from (the one of the failing run is reported).
 */
async function assertModel(t: CheckedTarget, cfg: ModelConfig, runs: number, maxSteps: number, frameChoices: readonly number[] = [cfg.frames]): Promise<void> {
  const ops = fc.array(cfg.persistent ? persistentArbitrary(cfg) : opArbitrary(cfg), { minLength: 1, maxLength: maxSteps, size: 'max' });
  const property = fc.asyncProperty(fc.constantFrom(...frameChoices), ops, (frames, list) => runModel(t, { ...cfg, frames }, list));
  const details = await fc.check(property, { seed: t.seed, numRuns: runs });
  if (!details.failed) return;
  const [frames, failing] = details.counterexample ?? [cfg.frames, []];
  const lines = failing.map((op, i) => `  ${i + 1}. ${describeOp(op)}`);
  const end = cfg.persistent ? 'every object is then flushed, reopened and read back in full' : 'every object is then read back in full';
  throw new ConformanceFailure(
    [
      `${t.name} disagreed with the reference model at ${t.pageSize}-byte pages, ${frames} frames (seed ${details.seed}, path "${details.counterexamplePath}"; run again with seed ${details.seed} to replay)`,
      `  ${message(details.errorInstance)}`,
      `shortest failing sequence (${failing.length} step${failing.length === 1 ? '' : 's'}, after ${details.numShrinks} shrinks; ${end}):`,
      ...lines,
    ].join('\n'),
    { cause: details.errorInstance },
  );
}

/** The level-2 checks: the pager inside spinvm, through a pool of a few frames, against a reference model. */
export function levelTwoChecks(t: CheckedTarget): ConformanceCheck[] {
  const ps = t.pageSize;
  const c = t.capabilities;
  const pageOut = c.pageOut;
  const objectSize = ps * 5 + Math.floor(ps / 2) + 3;
  const pagesPer = Math.ceil(objectSize / ps);
  // Without page-out a dirty page can never leave: give the pool room for everything, still evicting clean pages.
  const frames = (objects: number): number => (pageOut ? 3 : objects * pagesPer + 1);
  // The persistence model: one object longer than a flush run, through a few frames (evictions all the time)
  // or through more frames than it has pages (nothing evicted: a flush hands over runs of MAX_FLUSH_RUN pages).
  const longPages = Math.min(MAX_FLUSH_RUN + 6, c.maxPages - 1);
  const longSize = ps * longPages + Math.floor(ps / 2) + 3;
  const longFrames = [4, longPages + 16];
  const check = (id: string, title: string, skip: string | undefined, run: () => Promise<void>): ConformanceCheck => ({ id, level: 2, pageSize: ps, title, skip, run, timeout: 0 });
  return [
    check(
      'model-sequential',
      `randomized reads and writes over 2 objects through ${frames(2)} frames match a reference model`,
      undefined,
      () => assertModel(t, { objects: 2, objectSize, frames: frames(2), pageSize: ps, flush: pageOut, batches: false }, t.runs, 60),
    ),
    check(
      'model-concurrent',
      `the same with operations at once, over 3 objects through ${frames(3)} frames`,
      undefined,
      () => assertModel(t, { objects: 3, objectSize, frames: frames(3), pageSize: ps, flush: pageOut, batches: true }, Math.max(1, Math.ceil(t.runs * 0.6)), 40),
    ),
    check(
      'model-persistent',
      `randomized writes, rewrites (to zeros, to initial contents, to another page's contents), flushes in runs of up to ${MAX_FLUSH_RUN} pages and reopenings match a reference model`,
      !c.persistent ? 'the pager is not declared persistent' : !pageOut ? 'page-out is declared absent' : undefined,
      () => assertModel(t, { objects: 1, objectSize: longSize, frames: longFrames[0]!, pageSize: ps, flush: true, batches: false, persistent: true }, Math.max(Math.min(t.runs, 10), Math.ceil(t.runs * 0.4)), 30, longFrames),
    ),
  ];
}
