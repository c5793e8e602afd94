// Runs one operation sequence (generator.ts) on the kernel (oracle.py, through KernelOracle) and on spinvm side
// by side, operation by operation, and answers the first divergence; shrinks a failing sequence.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { useFilePager } from '../../pagers/file-pager/index.js';
import {
  AddressNotResidentError,
  createVm,
  MemoryFault,
  BusError,
  TOKENS,
  type AddressSpace,
  type Pager,
  type SyncOptions,
  type Vm,
  createAddressSpace,
} from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';
import { describeOp, pattern, REGION_BASE, REGION_PAGES, retag, without, type Op, type Sequence, type Tag } from './generator.js';

// ---- the kernel's side: one python3 process, JSON lines ----

/** What either side answers for one operation. */
export interface Reply {
  ok?: boolean;
  err?: string;
  fault?: 'SEGV' | 'BUS';
  at?: number;
  /** The kernel answered a fault by spinvm's choice, not its own (a read of a write-only page). */
  policy?: string;
  /** base64 (kernel) of what a read read. */
  data?: string;
  /** The kernel left the operation out (a write to a shared file page's bytes past the end of the file). */
  skipped?: string;
  /** [file, page, base64 of the file's bytes of that page] that a sync or unmap must have left in the file. */
  files?: Array<[string, number, string]>;
  sizes?: Record<string, number>;
  size?: number;
  oracle_error?: string;
  pageSize?: number;
}

export class KernelOracle {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exited: Error | undefined;

  constructor() {
    const script = fileURLToPath(new URL('./oracle.py', import.meta.url));
    this.child = spawn('python3', ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w.resolve(JSON.parse(line) as Reply);
    });
    const fail = (why: string): void => {
      this.exited = new Error(`the kernel oracle (python3 ${script}) ${why}${this.stderr ? `:\n${this.stderr}` : ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    };
    this.child.on('error', (err) => fail(`could not run: ${err.message}`));
    this.child.on('exit', (code, signal) => fail(`exited (${signal ?? code})`));
  }

  request(message: object): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(JSON.stringify(message) + '\n');
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.request({ cmd: 'quit' }).catch(() => undefined);
    this.child.stdin.end();
  }
}

// ---- spinvm's side ----

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

interface Spin {
  vm: Vm;
  spaces: Map<number, AddressSpace>;
  dir: string;
  ps: number;
}

/** A thrown error as the kernel would name it: a fault (SEGV or BUS, and where) or an errno. */
function answerOf(err: unknown): Reply {
  if (err instanceof MemoryFault) return { fault: err instanceof BusError ? 'BUS' : 'SEGV', at: err.address };
  const e = err as { errno?: unknown; name?: unknown; message?: unknown };
  const code = typeof e?.errno === 'string' ? e.errno : 'ERROR';
  // Errors the kernel could answer compare by errno alone; anything else keeps its story.
  if (['ENOMEM', 'EINVAL', 'EACCES'].includes(code)) return { err: code };
  return { err: `${code} (${String(e?.name)}: ${String(e?.message)})` };
}

/**
 * Grows the file from outside spinvm, as another process would: ftruncate, then the new whole pages past the
 * old last page (oracle.py's grow does the same). spinvm does not yet offer a way in that goes through its
 * pages (issue 11, "One page set per file"), so only bytes no mapping can hold yet are written.
 */
function growFile(file: string, size: number, data: Uint8Array, ps: number): Reply {
  const fd = fs.openSync(file, 'r+');
  try {
    const cur = fs.fstatSync(fd).size;
    if (size > cur) {
      fs.ftruncateSync(fd, size);
      const start = Math.ceil(cur / ps) * ps;
      if (start < size) fs.writeSync(fd, data, start, size - start, start);
    }
    return { ok: true, size: fs.fstatSync(fd).size };
  } finally {
    fs.closeSync(fd);
  }
}

async function readVia(space: AddressSpace, op: Extract<Op, { op: 'read' }>): Promise<Uint8Array> {
  if (op.via !== 'trap') return space.read(op.addr, op.len);
  for (let round = 0; round < 6; round++) {
    let p: Promise<void> | undefined;
    while ((p = space.trap(op.addr, 'read', op.len))) await p;
    try {
      return space.readSync(op.addr, op.len);
    } catch (err) {
      if (!(err instanceof AddressNotResidentError)) throw err; // evicted in between: trap again
    }
  }
  return space.read(op.addr, op.len);
}

async function writeVia(space: AddressSpace, op: Extract<Op, { op: 'write' }>, data: Uint8Array): Promise<void> {
  if (op.via !== 'trap') return space.write(op.addr, data);
  for (let round = 0; round < 6; round++) {
    let p: Promise<void> | undefined;
    while ((p = space.trap(op.addr, 'write', data.length))) await p;
    try {
      return space.writeSync(op.addr, data);
    } catch (err) {
      if (!(err instanceof AddressNotResidentError)) throw err;
    }
  }
  return space.write(op.addr, data);
}

const SYNC_OPTIONS: Record<string, SyncOptions> = {
  sync: {},
  async: { async: true },
  invalidate: { invalidate: true },
  'invalidate-async': { invalidate: true, async: true },
};

async function spinOp(s: Spin, op: Op, kernel: Reply): Promise<Reply> {
  const { ps } = s;
  if (op.op === 'grow') return growFile(path.join(s.dir, op.file), op.size, pattern(op.seed, op.size), ps);
  const space = s.spaces.get(op.space);
  if (space === undefined) throw new Error(`no space s${op.space} on spinvm's side`);
  try {
    switch (op.op) {
      case 'map': {
        const source = op.kind === 'anon' ? { anonymous: true as const } : { file: path.join(s.dir, op.file!), offset: (op.offset ?? 0) * ps };
        const at = await space.map({ ...source, length: op.pages * ps, address: op.addr, fixed: true, prot: op.prot, share: op.share });
        return at === op.addr ? { ok: true } : { err: `mapped at 0x${at.toString(16)}, not 0x${op.addr.toString(16)}` };
      }
      case 'read':
        return { data: b64(await readVia(space, op)) };
      case 'write':
        if (kernel.skipped) return { skipped: kernel.skipped };
        await writeVia(space, op, pattern(op.seed, op.len));
        return { ok: true };
      case 'protect':
        space.protect(op.addr, op.pages * ps, op.prot);
        return { ok: true };
      case 'sync':
        await space.sync(op.addr, op.pages * ps, SYNC_OPTIONS[op.mode]);
        return { ok: true };
      case 'unmap':
        await space.unmap(op.addr, op.pages * ps);
        return { ok: true };
      case 'fork':
        s.spaces.set(op.child, space.fork());
        return { ok: true };
      case 'exit':
        s.spaces.delete(op.space);
        await space.destroy();
        return { ok: true };
    }
  } catch (err) {
    return answerOf(err);
  }
}

// ---- comparing ----

export interface Failure {
  /** Index of the operation that diverged (ops.length for the final comparison of the files). */
  index: number;
  op: Op | undefined;
  /** What diverged: result, read-data, file-page, file-size, final-file, timeout, oracle. */
  what: string;
  kernel: string;
  spinvm: string;
}

export interface RunResult {
  failure: Failure | undefined;
  /** Faults and errors each side answered, by kind, for the summary. */
  counts: Map<string, number>;
}

const shape = (r: Reply): string =>
  r.oracle_error !== undefined
    ? `oracle error: ${r.oracle_error}`
    : r.fault
      ? `${r.fault} at 0x${r.at!.toString(16)}`
      : r.err !== undefined
        ? `error ${r.err}`
        : r.skipped
          ? `skipped (${r.skipped})`
          : r.data !== undefined
            ? `${unb64(r.data).length} bytes`
            : 'ok';
const told = (r: Reply): string => shape(r) + (r.policy ? ` (by spinvm's choice: ${r.policy}; x86 reads it)` : '');

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  if (i === n && a.length === b.length) return 'equal';
  const at = (x: Uint8Array): string => [...x.subarray(i, i + 8)].map((v) => v.toString(16).padStart(2, '0')).join(' ');
  return `first difference at byte ${i} of ${a.length} / ${b.length}: [${at(a)}] vs [${at(b)}]`;
}

function diskPage(file: string, page: number, ps: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = new Uint8Array(ps);
    const n = fs.readSync(fd, buf, 0, ps, page * ps);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function compare(i: number, op: Op, k: Reply, v: Reply, s: Spin): Failure | undefined {
  const fail = (what: string, kernel: string, spinvm: string): Failure => ({ index: i, op, what, kernel, spinvm });
  if (k.oracle_error !== undefined) return fail('oracle', shape(k), shape(v));
  const ks = shape(k);
  const vs = shape(v);
  if (ks !== vs) return fail('result', told(k), vs);
  if (k.data !== undefined && v.data !== undefined) {
    const kd = unb64(k.data);
    const vd = unb64(v.data);
    const d = firstDifference(kd, vd);
    if (d !== 'equal') return fail('read-data', `read ${kd.length} bytes`, d);
  }
  for (const [file, page, bytes] of k.files ?? []) {
    const kd = unb64(bytes);
    const vd = diskPage(path.join(s.dir, file), page, s.ps);
    const d = firstDifference(kd, vd);
    if (d !== 'equal') return fail('file-page', `${file} page ${page} in the file after the ${op.op}`, `spinvm's file: ${d}`);
  }
  const sizes = k.sizes ?? (op.op === 'grow' ? { [op.file]: k.size! } : {});
  for (const [file, size] of Object.entries(sizes)) {
    const mine = fs.statSync(path.join(s.dir, file)).size;
    if (mine !== size) return fail('file-size', `${file} is ${size} bytes`, `${mine} bytes`);
  }
  return undefined;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TIMEOUT: ${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

let runs = 0;

/** Where each side's files go (each run makes a directory of its own in them). */
export interface Roots {
  kernel: string;
  spinvm: string;
}

/** Runs `seq` (with `ops` in place of its own, when given) on both sides. */
export async function runSequence(
  oracle: KernelOracle,
  seq: Sequence,
  roots: Roots,
  ps: number,
  ops: readonly Op[] = seq.ops,
  trace?: (line: string) => void,
): Promise<RunResult> {
  const id = `${process.pid}-${runs++}`;
  const kdir = path.join(roots.kernel, `kernel-${id}`);
  const sdir = path.join(roots.spinvm, `spinvm-${id}`);
  fs.mkdirSync(sdir, { recursive: true });
  for (const [name, content] of Object.entries(seq.files)) fs.writeFileSync(path.join(sdir, name), content);
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(seq.files)) files[name] = b64(content);
  const begun = await oracle.request({ cmd: 'begin', dir: kdir, base: REGION_BASE, pages: REGION_PAGES, files });
  if (begun.oracle_error !== undefined) throw new Error(`the kernel oracle could not begin: ${begun.oracle_error}`);
  if (begun.pageSize !== ps) throw new Error(`the kernel's page size is ${begun.pageSize}, the test's ${ps}`);

  const vm = createVm({ pageSize: ps, frames: seq.frames });
  vm.container
    .rebind<Pager>(TOKENS.DefaultPager)
    .toDynamicValue(() => new RecordingPager({ async: seq.asyncSwap }))
    .inTransientScope();
  useFilePager(vm);
  const s: Spin = { vm, spaces: new Map([[0, createAddressSpace(vm)]]), dir: sdir, ps };
  const counts = new Map<string, number>();
  let failure: Failure | undefined;
  try {
    for (let i = 0; i < ops.length && failure === undefined; i++) {
      const op = ops[i]!;
      const wire = op.op === 'write' ? { ...op, data: b64(pattern(op.seed, op.len)) } : op.op === 'grow' ? { ...op, data: b64(pattern(op.seed, op.size)) } : op;
      const k = await oracle.request({ cmd: 'op', op: wire });
      let v: Reply;
      try {
        v = await withTimeout(spinOp(s, op, k), 10_000, describeOp(op, ps));
      } catch (err) {
        failure = { index: i, op, what: 'timeout', kernel: shape(k), spinvm: String(err) };
        break;
      }
      if (trace) trace(`#${i} ${describeOp(op, ps)}: kernel ${told(k)}, spinvm ${shape(v)}`);
      const key = `${op.op}:${k.data !== undefined ? 'data' : told(k).replace(/ at 0x[0-9a-f]+/g, '')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      failure = compare(i, op, k, v, s);
    }
  } finally {
    // The end: every space exits (spinvm: destroy syncs shared mappings), then whole files must agree.
    let destroyed: string | undefined;
    await withTimeout(vm.destroy(), 10_000, 'vm.destroy()').catch((err: unknown) => {
      destroyed = String(err);
    });
    const end = await oracle.request({ cmd: 'end' });
    if (failure === undefined) {
      if (end.oracle_error !== undefined) failure = { index: ops.length, op: undefined, what: 'oracle', kernel: end.oracle_error, spinvm: '' };
      else if (destroyed !== undefined)
        failure = { index: ops.length, op: undefined, what: 'final-file', kernel: 'every space exits', spinvm: `vm.destroy() failed: ${destroyed}` };
      else {
        for (const [name, content] of Object.entries((end as { files?: Record<string, string> }).files ?? {})) {
          const d = firstDifference(unb64(content), new Uint8Array(fs.readFileSync(path.join(sdir, name))));
          if (d !== 'equal') {
            failure = { index: ops.length, op: undefined, what: 'final-file', kernel: `${name} after every space exited`, spinvm: d };
            break;
          }
        }
      }
    }
    fs.rmSync(sdir, { recursive: true, force: true });
    fs.rmSync(kdir, { recursive: true, force: true });
  }
  return { failure, counts };
}

// ---- shrinking and reporting ----

const signature = (f: Failure): string =>
  `${f.op?.op ?? 'end'}|${f.what}|${f.what === 'result' ? `${f.kernel.replace(/ at 0x[0-9a-f]+/, '')}|${f.spinvm.replace(/ at 0x[0-9a-f]+/, '').slice(0, 40)}` : ''}`;

/**
 * Drops operations (chunks, then one at a time) while the sequence still fails the same way; answers the
 * shortest failing list found within the budget.
 */
export async function shrink(
  oracle: KernelOracle,
  seq: Sequence,
  first: Failure,
  roots: Roots,
  ps: number,
  budgetMs: number,
): Promise<{ ops: Op[]; failure: Failure }> {
  const deadline = Date.now() + budgetMs;
  const sig = signature(first);
  let ops = first.op ? seq.ops.slice(0, first.index + 1) : seq.ops.slice();
  let failure = first;
  const tryOps = async (candidate: Op[]): Promise<boolean> => {
    if (candidate.length === 0 || Date.now() > deadline) return false;
    const r = await runSequence(oracle, seq, roots, ps, candidate);
    if (r.failure && signature(r.failure) === sig) {
      ops = r.failure.op ? candidate.slice(0, r.failure.index + 1) : candidate;
      failure = r.failure;
      return true;
    }
    return false;
  };
  if (ops.length < seq.ops.length) await tryOps(ops); // what follows the divergence never matters, unless it fails otherwise
  if (failure === first && first.op) ops = seq.ops.slice(); // the cut did not reproduce: start from the whole
  for (let chunk = Math.max(1, Math.floor(ops.length / 2)); chunk >= 1 && Date.now() < deadline; chunk = Math.floor(chunk / 2)) {
    for (let start = ops.length - chunk; start >= 0 && Date.now() < deadline; start--) {
      if (start >= ops.length) continue;
      const drop = new Set<number>();
      for (let j = start; j < Math.min(ops.length, start + chunk); j++) drop.add(j);
      await tryOps(without(ops, drop));
    }
    if (chunk === 1) break;
  }
  return { ops: retag(ops, seq.files, ps), failure };
}

export function tagsOf(ops: readonly Op[]): Tag[] {
  const tags = new Set<Tag>();
  for (const op of ops) for (const t of op.tags ?? []) tags.add(t);
  return [...tags].sort();
}

export function describeFailure(seq: Sequence, ops: readonly Op[], f: Failure, ps: number): string {
  const lines = [
    `seed ${seq.seed} (frames ${seq.frames}${seq.asyncSwap ? ', async swap' : ''}; files ${Object.entries(seq.files)
      .map(([n, c]) => `${n} ${c.length} bytes`)
      .join(', ')}), tags [${tagsOf(ops).join(', ')}]`,
    `  diverged at ${f.op ? `op #${f.index}: ${describeOp(f.op, ps)}` : 'the end (files after every space exited)'} [${f.what}]`,
    `    kernel: ${f.kernel}`,
    `    spinvm: ${f.spinvm}`,
    `  operations:`,
    ...ops.map((op, i) => `    ${String(i).padStart(3)} ${describeOp(op, ps)}${op.tags ? `   [${op.tags.join(', ')}]` : ''}`),
  ];
  return lines.join('\n');
}
