import fc from 'fast-check';
import type { MemoryObject } from '../../vmcore/memory-object/memory-object.js';
import { Pager } from '../../vmcore/pager/pager.js';
import { createVm } from '../../vmcore/vm/vm.js';
import { ConformanceFailure, message, patternPage, withTimeout } from './harness.js';
import type { ConformanceCheck } from './level1.js';
import type { CheckedTarget } from './target.js';

/** One step of a randomized run; a batch runs its steps at once (their writes never overlap anything else in it). */
export type ModelOp =
  | { kind: 'write'; obj: number; offset: number; length: number; seed: number }
  | { kind: 'read'; obj: number; offset: number; length: number }
  | { kind: 'flush'; obj: number }
  | { kind: 'batch'; ops: ModelOp[] };

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
  }
}

/**
 * Replays `ops` on a fresh instance whose objects use pagers from the target, and on a reference model (a
 * byte array per object, holding the declared initial contents); throws on the first disagreement or error,
 * then reads every object back in full.
 */
export async function runModel(t: CheckedTarget, cfg: ModelConfig, ops: readonly ModelOp[]): Promise<void> {
  const vm = createVm({ pageSize: cfg.pageSize, frames: cfg.frames });
  try {
    const objects: MemoryObject[] = [];
    const refs: Uint8Array[] = [];
    for (let i = 0; i < cfg.objects; i++) {
      const pager = await t.makePager();
      if (!(pager instanceof Pager)) {
        throw new ConformanceFailure(
          'makePager answered an object that is not an instance of this spinvm\'s Pager (does it extend a second copy of spinvm? install spinvm once, as a peer of your pager)',
        );
      }
      objects.push(vm.createMemoryObject({ size: cfg.objectSize, pager, name: `model-${i}` }));
      const ref = new Uint8Array(cfg.objectSize);
      for (let p = 0; p * cfg.pageSize < cfg.objectSize; p++) ref.set(t.initialPage(p).subarray(0, Math.min(cfg.pageSize, cfg.objectSize - p * cfg.pageSize)), p * cfg.pageSize);
      refs.push(ref);
    }
    const compare = (obj: number, offset: number, seen: Uint8Array, what: string): void => {
      const ref = refs[obj]!;
      for (let i = 0; i < seen.length; i++) {
        if (seen[i] !== ref[offset + i]) {
          const page = Math.floor((offset + i) / cfg.pageSize);
          throw new ConformanceFailure(`${what}: byte ${offset + i} (page ${page}) read ${seen[i]}, the model says ${ref[offset + i]}`);
        }
      }
    };
    const step = async (op: ModelOp): Promise<void> => {
      switch (op.kind) {
        case 'write': {
          const data = patternPage(op.length, op.seed);
          await objects[op.obj]!.write(op.offset, data);
          refs[op.obj]!.set(data, op.offset);
          return;
        }
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
      compare(i, 0, await withTimeout(objects[i]!.read(0, cfg.objectSize), t.callTimeout, `the final read of object ${i}`), `the final read of object ${i}`);
    }
  } finally {
    await vm.destroy().catch(() => undefined);
  }
}

/** Runs the property with fast-check; on failure throws a ConformanceFailure with the seed and the shrunk sequence. */
async function assertModel(t: CheckedTarget, cfg: ModelConfig, runs: number, maxSteps: number): Promise<void> {
  const property = fc.asyncProperty(fc.array(opArbitrary(cfg), { minLength: 1, maxLength: maxSteps, size: 'max' }), (ops) => runModel(t, cfg, ops));
  const details = await fc.check(property, { seed: t.seed, numRuns: runs });
  if (!details.failed) return;
  const [ops] = details.counterexample ?? [[]];
  const lines = ops.map((op, i) => `  ${i + 1}. ${describeOp(op)}`);
  throw new ConformanceFailure(
    [
      `${t.name} disagreed with the reference model (seed ${details.seed}, path "${details.counterexamplePath}"; run again with seed ${details.seed} to replay)`,
      `  ${message(details.errorInstance)}`,
      `shortest failing sequence (${ops.length} step${ops.length === 1 ? '' : 's'}, after ${details.numShrinks} shrinks; every object is then read back in full):`,
      ...lines,
    ].join('\n'),
    { cause: details.errorInstance },
  );
}

/** The level-2 checks: the pager inside spinvm, through a pool of a few frames, against a reference model. */
export function levelTwoChecks(t: CheckedTarget): ConformanceCheck[] {
  const ps = t.pageSize;
  const pageOut = t.capabilities.pageOut;
  const objectSize = ps * 5 + Math.floor(ps / 2) + 3;
  const pagesPer = Math.ceil(objectSize / ps);
  // Without page-out a dirty page can never leave: give the pool room for everything, still evicting clean pages.
  const frames = (objects: number): number => (pageOut ? 3 : objects * pagesPer + 1);
  return [
    {
      id: 'model-sequential',
      level: 2,
      title: `randomized reads and writes over 2 objects through ${frames(2)} frames match a reference model`,
      skip: undefined,
      run: () => assertModel(t, { objects: 2, objectSize, frames: frames(2), pageSize: ps, flush: pageOut, batches: false }, t.runs, 60),
    },
    {
      id: 'model-concurrent',
      level: 2,
      title: `the same with operations at once, over 3 objects through ${frames(3)} frames`,
      skip: undefined,
      run: () => assertModel(t, { objects: 3, objectSize, frames: frames(3), pageSize: ps, flush: pageOut, batches: true }, Math.max(1, Math.ceil(t.runs * 0.6)), 40),
    },
  ];
}
