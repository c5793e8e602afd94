// The kernel differential test (issue 11): seeded random sequences of map (shared and private, file and
// anonymous), reads and writes crossing pages, protect, sync (sync, async, invalidate), unmap of every shape,
// fork (and fork of a fork), exit, and files growing between operations, run on spinvm and on Linux's own
// mmap, mprotect, msync, munmap and fork() (oracle.py, one python3 process for this file, each address space
// a process of its own). Every read (its bytes or its fault), every answer (ok or errno), the file's bytes
// of the pages a sync or unmap covers and the files' sizes after each sync, unmap and exit, and the whole
// files at the end are compared.
//
//   npm test                                   the default: 200 sequences (10 to 15 s on two cores)
//   SPINVM_KERNEL_SEQUENCES=5000 npx vitest run test/kernel    the long mode, for hunting
//   SPINVM_KERNEL_START=<n>                    the first seed (default 1); seeds run n, n+1, ...
//   SPINVM_SEED=<n>                            replay seed n alone: print every operation with both answers
//   SPINVM_KERNEL_SHRINK=<k>                   shrink the first k failing sequences (default 3; 0 for none)
//   SPINVM_KERNEL_SHRINK_MS=<ms>               time to shrink each (default 8000)
//   SPINVM_KERNEL_DIR=<dir>                    where both sides' files go. By default spinvm's go to the temp
//                                              dir (a real disk: an fsync takes milliseconds, so an async sync
//                                              is still running when the next operations come, as it would be
//                                              for a program) and the kernel's to /dev/shm when it exists
//                                              (its msync's fsync costs nothing there; the answers are the same)
//
// A mismatch prints the seed, where the sequence diverged (kernel's answer and spinvm's), and the shortest
// failing list of operations the shrinker found.
//
// ---- Where POSIX leaves a choice open: what spinvm does, and so what the test expects ----
// 1. A page mapped write-only is not readable in spinvm: rights are strict (write does not imply read), so a
//    read of it is a SEGV (ProtectionFault). x86 Linux lets it be read (PROT_WRITE implies PROT_READ in its
//    page tables); POSIX allows both ("an implementation may permit accesses other than those specified by
//    prot"). spinvm keeps the stricter answer, which every implementation must allow and which catches the
//    emulator bugs it exists to catch. The oracle answers SEGV for such reads, marked "by spinvm's choice".
// 2. protect over a range with a hole (or over a shared mapping that cannot be given write rights) fails with
//    ENOMEM (EACCES) in both and changes nothing in spinvm; Linux changes the pages before the hole. POSIX
//    allows both; spinvm's all-or-nothing answer leaves the caller a state it knows. Only the error is
//    compared: the oracle puts the kernel's pages back as they were, so the sequences stay comparable.
// 3. sync over a range with a hole: ENOMEM on both; what Linux wrote back before answering is not
//    compared (spinvm writes nothing back).
// 4. The bytes of a file's last page past its end: POSIX says they read as zero when mapped and never reach
//    the file, and leaves open whether writes there survive. Linux keeps them in the page cache until a
//    write-back (ext4 then zeroes them, tmpfs keeps them), spinvm in its frame until the page is evicted.
//    The test writes there only through private mappings (an ordinary private copy on both); a write
//    through a shared mapping that touches them is left out on both sides.
// 5. After msync, POSIX promises the file holds the synced range; before it, whether read(2) sees a shared
//    mapping's writes is unspecified (Linux's page cache always shows them; spinvm's file does once the page
//    is written back: on sync, unmap, or eviction). So the file's pages are compared where a sync (not
//    async) or an unmap covers a shared file mapping, and whole files only at the end, when every space
//    has exited (spinvm's unmap and destroy sync shared file mappings, as their exit does on Linux).
// 6. A private mapping's page that was never written shows later writes to the file (through a shared
//    mapping, or the file growing): POSIX leaves it unspecified; spinvm does as Linux does, and the test
//    holds it to that.
// 7. Growing a file: the test grows it from outside spinvm, as another process would (ftruncate, then writes
//    of whole new pages past the old last page). Linux keeps a file's read/write(2) and its mappings
//    coherent across processes; spinvm cannot see another process's write(2) to a page it already holds,
//    so the test writes only bytes no mapping can hold yet. A mapping must then see the new size: pages
//    up to the file's current end are no longer past it, and writes to them reach the file.
// 8. One write that reaches the same file page through a shared mapping and through a private one (two
//    views of one page, side by side): whether the private copy is taken before or after the write's own
//    bytes land in the shared view depends on how the access is carried out, and no standard orders the
//    bytes of one access. The kernel's copy (read(2) into the range) goes byte by byte, faulting page by
//    page, so the private copy holds the bytes written just before it; a CPU store crossing the two pages
//    faults both in first, and the copy does not. spinvm's async write goes page by page like the former,
//    its trap-then-writeSync path like the latter. Such writes are left out on both sides.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, type Sequence, type Tag } from './generator.js';
import { describeFailure, KernelOracle, runSequence, shrink, tagsOf, type Failure, type Roots } from './runner.js';

/**
 * DEVELOPMENT ONLY. Operation tags (generator.ts) the generator leaves out while spinvm is known to diverge
 * on them (issue 11's list), so other divergences show. Must be empty in the committed test: the known
 * divergences are to be fixed, not hidden.
 */
const PENDING: readonly Tag[] = [];

const env = process.env;
const int = (name: string, fallback: number): number => {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
};

const replay = env.SPINVM_SEED !== undefined && env.SPINVM_SEED !== '' ? int('SPINVM_SEED', 0) : undefined;
const sequences = replay !== undefined ? 1 : int('SPINVM_KERNEL_SEQUENCES', 200);
const start = replay ?? int('SPINVM_KERNEL_START', 1);
const shrinkCount = int('SPINVM_KERNEL_SHRINK', 3);
const shrinkMs = int('SPINVM_KERNEL_SHRINK_MS', 8000);
const PS = 4096;

const linux = process.platform === 'linux';
let oracle: KernelOracle;
let roots: Roots;

beforeAll(() => {
  const given = env.SPINVM_KERNEL_DIR || undefined;
  roots = {
    kernel: fs.mkdtempSync(path.join(given ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()), 'spinvm-kernel-')),
    spinvm: fs.mkdtempSync(path.join(given ?? os.tmpdir(), 'spinvm-kernel-')),
  };
  if (linux) oracle = new KernelOracle();
});
afterAll(async () => {
  await oracle?.close();
  for (const dir of Object.values(roots)) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!linux)("spinvm against the kernel's own mmap, mprotect, msync, munmap and fork (python3 oracle)", () => {
  it(
    `${sequences} seeded sequence${sequences === 1 ? '' : 's'} from seed ${start} agree, read for read and file for file`,
    async () => {
      const exclude = new Set<Tag>(PENDING);
      const failures: Array<{ seq: Sequence; failure: Failure }> = [];
      const totals = new Map<string, number>();
      let operations = 0;
      const began = Date.now();
      for (let seed = start; seed < start + sequences; seed++) {
        const seq = generate(seed, PS, { exclude });
        const r = await runSequence(oracle, seq, roots, PS, seq.ops, replay !== undefined ? (line) => console.log(line) : undefined);
        operations += seq.ops.length;
        for (const [k, n] of r.counts) totals.set(k, (totals.get(k) ?? 0) + n);
        if (r.failure) {
          failures.push({ seq, failure: r.failure });
          console.log(`seed ${seed}: diverged at op #${r.failure.index} [${r.failure.what}]: kernel ${r.failure.kernel} / spinvm ${r.failure.spinvm}`);
        }
        if (replay !== undefined)
          console.log(describeFailure(seq, seq.ops, r.failure ?? { index: seq.ops.length, op: undefined, what: 'none', kernel: '-', spinvm: '-' }, PS));
      }
      const ms = Date.now() - began;
      console.log(
        `${sequences} sequences, ${operations} operations in ${(ms / 1000).toFixed(1)} s; ${failures.length} diverged` +
          (PENDING.length ? ` (PENDING, left out: ${PENDING.join(', ')})` : ''),
      );
      console.log(
        'answers (kernel): ' +
          [...totals]
            .sort()
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
      );
      const reports: string[] = [];
      for (const { seq, failure } of failures.slice(0, shrinkCount)) {
        const small = await shrink(oracle, seq, failure, roots, PS, shrinkMs);
        reports.push(describeFailure(seq, small.ops, small.failure, PS));
      }
      for (const r of reports) console.log(r);
      if (failures.length > 0) {
        const byTags = new Map<string, number[]>();
        for (const { seq, failure } of failures) {
          const key = `[${tagsOf(seq.ops.slice(0, failure.index + 1)).join(', ')}] ${failure.op?.op ?? 'end'} ${failure.what}`;
          byTags.set(key, [...(byTags.get(key) ?? []), seq.seed]);
        }
        const table = [...byTags]
          .map(([k, seeds]) => `  ${k}: seeds ${seeds.slice(0, 12).join(' ')}${seeds.length > 12 ? ` (+${seeds.length - 12})` : ''}`)
          .join('\n');
        expect.fail(
          `${failures.length} of ${sequences} sequences diverged from the kernel (replay one with SPINVM_SEED=<seed>).\n` +
            `By the tags of the operations up to the divergence, what diverged:\n${table}\n\n${reports.join('\n\n')}`,
        );
      }
      expect(PENDING).toEqual([]);
    },
    Math.max(120_000, sequences * 2_000 + shrinkCount * (shrinkMs + 10_000)),
  );
});
