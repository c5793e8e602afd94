import fc from 'fast-check';
import { createVm, NotResidentError, type MemoryObject, type Pager } from '../../vmcore/index.js';
import { pattern } from './pagers.js';

/** One step of a randomized run; `batch` runs its steps concurrently. */
export type Op =
  | { kind: 'write'; obj: number; offset: number; length: number; seed: number }
  | { kind: 'read'; obj: number; offset: number; length: number }
  | { kind: 'readSync'; obj: number; offset: number; length: number }
  | { kind: 'flush'; obj: number }
  | { kind: 'batch'; ops: Op[] };

export interface ModelConfig {
  pageSize: number;
  frames: number;
  objects: number;
  /** Size of each object in bytes (need not be a multiple of the page size). */
  objectSize: number;
  policy?: string;
}

export function opArbitrary(cfg: ModelConfig): fc.Arbitrary<Op> {
  const span = fc
    .tuple(fc.nat({ max: cfg.objectSize - 1 }), fc.integer({ min: 0, max: cfg.pageSize * 2 + 3 }))
    .map(([offset, length]) => ({ offset, length: Math.min(length, cfg.objectSize - offset) }));
  const obj = fc.nat({ max: cfg.objects - 1 });
  const write = fc.record({ obj, span, seed: fc.nat() }).map(({ obj, span, seed }): Op => ({ kind: 'write', obj, ...span, seed }));
  const read = fc.record({ obj, span }).map(({ obj, span }): Op => ({ kind: 'read', obj, ...span }));
  const readSync = fc.record({ obj, span }).map(({ obj, span }): Op => ({ kind: 'readSync', obj, ...span }));
  const flush = obj.map((o): Op => ({ kind: 'flush', obj: o }));
  const single = fc.oneof({ arbitrary: write, weight: 5 }, { arbitrary: read, weight: 4 }, { arbitrary: readSync, weight: 1 }, { arbitrary: flush, weight: 1 });
  const batch = fc.array(single, { minLength: 2, maxLength: 6 }).map((ops): Op => ({ kind: 'batch', ops }));
  return fc.oneof({ arbitrary: single, weight: 6 }, { arbitrary: batch, weight: 1 });
}

/**
 * The reference model: a plain byte array per object. A write that failed may have landed in part, so its
 * bytes are "either": the old or the new value, settled by the next read that sees them.
 */
class Reference {
  readonly value: Uint8Array;
  readonly alt: Uint8Array;
  readonly either: Uint8Array;
  constructor(size: number) {
    this.value = new Uint8Array(size);
    this.alt = new Uint8Array(size);
    this.either = new Uint8Array(size);
  }
  wrote(offset: number, data: Uint8Array): void {
    this.value.set(data, offset);
    this.either.fill(0, offset, offset + data.length);
  }
  failed(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      if (this.either[at]) {
        // Already two candidates: a third is more than we track, so the byte is checked loosely from now.
        if (this.alt[at] !== data[i] && this.value[at] !== data[i]) this.either[at] = 2;
        continue;
      }
      this.alt[at] = this.value[at]!;
      this.value[at] = data[i]!;
      this.either[at] = 1;
    }
  }
  check(offset: number, seen: Uint8Array): string | undefined {
    for (let i = 0; i < seen.length; i++) {
      const at = offset + i;
      const ok = this.either[at] === 2 || seen[i] === this.value[at] || (this.either[at] === 1 && seen[i] === this.alt[at]);
      if (!ok) return `byte ${at}: read ${seen[i]}, expected ${this.value[at]}${this.either[at] ? ` or ${this.alt[at]}` : ''}`;
      if (this.either[at] !== 2) {
        this.value[at] = seen[i]!;
        this.either[at] = 0;
      }
    }
    return undefined;
  }
}

export interface ModelRun {
  /** Errors the run accepted (thrown by operations, as the contract allows for failing pagers). */
  errors: Error[];
  objects: MemoryObject[];
}

/**
 * Replays `ops` against spinvm and the reference model; throws on the first read that disagrees.
 * `acceptError` says which operation errors are allowed (a failing pager's typed errors); any other throws.
 */
export async function runModel(
  cfg: ModelConfig,
  makePager: (index: number) => Pager | undefined,
  ops: Op[],
  acceptError: (err: unknown) => boolean = () => false,
): Promise<ModelRun> {
  const vm = createVm({ pageSize: cfg.pageSize, frames: cfg.frames, policy: cfg.policy ?? 'second-chance' });
  const objects = Array.from({ length: cfg.objects }, (_, i) => {
    const pager = makePager(i);
    return vm.createMemoryObject({ size: cfg.objectSize, name: `model-${i}`, ...(pager ? { pager } : {}) });
  });
  const refs = objects.map(() => new Reference(cfg.objectSize));
  const errors: Error[] = [];
  const fail = (err: unknown) => {
    if (!acceptError(err)) throw err;
    errors.push(err as Error);
  };
  const step = async (op: Op): Promise<void> => {
    switch (op.kind) {
      case 'write': {
        const data = pattern(op.length, op.seed);
        try {
          await objects[op.obj]!.write(op.offset, data);
          refs[op.obj]!.wrote(op.offset, data);
        } catch (err) {
          refs[op.obj]!.failed(op.offset, data);
          fail(err);
        }
        return;
      }
      case 'read':
      case 'readSync': {
        let seen: Uint8Array;
        try {
          if (op.kind === 'read') seen = await objects[op.obj]!.read(op.offset, op.length);
          else {
            try {
              seen = objects[op.obj]!.readSync(op.offset, op.length);
            } catch (err) {
              if (err instanceof NotResidentError) return;
              throw err;
            }
          }
        } catch (err) {
          return fail(err);
        }
        const problem = refs[op.obj]!.check(op.offset, seen);
        if (problem) throw new Error(`${op.kind} of object ${op.obj} at ${op.offset}+${op.length} disagrees with the model: ${problem}`);
        return;
      }
      case 'flush':
        try {
          await objects[op.obj]!.flush();
        } catch (err) {
          fail(err);
        }
        return;
      case 'batch': {
        // Concurrent writes to overlapping ranges have no defined order: keep a batch's writes disjoint.
        const results = await Promise.allSettled(op.ops.map(step));
        const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (bad) throw bad.reason;
        return;
      }
    }
  };
  try {
    for (const op of ops) await step(op);
    // Everything written must still read back at the end.
    // Page by page, retried, so a pager that fails now and then still gets every page read.
    for (let i = 0; i < objects.length; i++) {
      for (let offset = 0; offset < cfg.objectSize; offset += cfg.pageSize) {
        const length = Math.min(cfg.pageSize, cfg.objectSize - offset);
        let seen: Uint8Array | undefined;
        for (let attempt = 0; attempt < 50 && !seen; attempt++) {
          try {
            seen = await objects[i]!.read(offset, length);
          } catch (err) {
            fail(err);
          }
        }
        if (!seen) throw new Error(`object ${i} at ${offset} could not be read back at the end`);
        const problem = refs[i]!.check(offset, seen);
        if (problem) throw new Error(`final read of object ${i} disagrees with the model: ${problem}`);
      }
    }
  } finally {
    await vm.destroy().catch(() => undefined);
  }
  return { errors, objects };
}

/** Batches whose writes overlap race by design; the model only covers disjoint concurrent writes. */
export function disjointBatches(ops: Op[]): boolean {
  return ops.every((op) => {
    if (op.kind !== 'batch') return true;
    const spans = op.ops.filter((o) => o.kind === 'write' || o.kind === 'read' || o.kind === 'readSync') as Array<{ kind: string; obj: number; offset: number; length: number }>;
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

/** The seed for randomized tests: fixed so CI replays the same runs, overridable with SPINVM_SEED. */
export const MODEL_SEED = Number(process.env.SPINVM_SEED ?? 20261122);
