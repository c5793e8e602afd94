/** Command-line options of `spinvm bench` and the sizes every workload derives from them. */
import { parseStrict, UsageError } from '../cli/index.js';

export const WORKLOADS = ['hits', 'faults', 'scan', 'random', 'swap', 'objects', 'memory', 'scaling', 'policies', 'redis', 'sqlite', 'worker'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export interface BenchOptions {
  /** Tiny sizes, one repetition: a run of seconds that checks the bench still works, never its speed. */
  smoke: boolean;
  /** Multiplies every size (operations, pages, file and pool sizes); 1 is the default run. */
  size: number;
  /** Workloads to run; all when undefined. */
  only: WorkloadName[] | undefined;
  seed: number;
  /** Runs (rounds, where loops are interleaved) of each timed loop; the fastest is kept. */
  repeats: number;
  /** Times the selected workloads run, one after the other in this process; each target is reported as the median of the runs, with their least and greatest. */
  runs: number;
  /**
   * The file the JSON results are written to (a folder, one that exists or a path ending in '/', gets a file
   * named by the start time); undefined writes none: the bench writes nothing into the project unasked.
   */
  out: string | undefined;
  /** Where the test file and swap files go; a fresh folder is made inside and removed at the end. */
  tmpDir: string | undefined;
  /** Zipf exponents for the random-read workload. */
  zipf: number[];
}

export const DEFAULT_OPTIONS: BenchOptions = {
  smoke: false,
  size: 1,
  only: undefined,
  seed: 0x5eed,
  repeats: 5,
  runs: 1,
  out: undefined,
  tmpDir: undefined,
  zipf: [0.9, 1.2],
};

export const USAGE = `usage: spinvm bench [options]

Measures spinvm against its peers (plain Uint8Array, memory-pager, an lru-cache buffer cache, raw fs reads,
kernel mmap) on the workloads of issue 6, runs the policies over the trace classes of spinvm simulate, and
prints a table and the targets of issue 13, each met or not (progress goes to stderr). Peers that are not
installed are named, with the npm command that adds them; their rows say so and the rest runs. Nothing is
written outside the system's temporary folder unless --out says where.

options:
  --smoke              tiny sizes, one repetition: seconds, for CI (asserts nothing about speed)
  --only a,b,...       run only these workloads: ${WORKLOADS.join(', ')}
  --size F             multiply every size by F (default 1; 0.1 for a quick look)
  --seed N             seed of the generators (default ${DEFAULT_OPTIONS.seed})
  --repeats N          runs of each tight loop, the fastest kept (default ${DEFAULT_OPTIONS.repeats})
  --runs N             run the workloads N times in this process and report each target as the median
                       of the runs with their range, min–max (default ${DEFAULT_OPTIONS.runs})
  --zipf S,S           zipf exponents for random reads (default ${DEFAULT_OPTIONS.zipf.join(',')}; 0.9 to 1.2)
  --out FILE           also write the JSON results to FILE (to DIR/<time>.json when given a folder: an
                       existing one, or a path ending in /)
  --json               print the JSON results on stdout instead of the table
  --no-json            write no JSON file (the default; cancels --out)
  --tmp DIR            folder for the test file and swap (default the system's temporary folder)
  -h, --help           this text`;

export interface ParsedArgs {
  options: BenchOptions;
  json: boolean;
  help: boolean;
}

/** Reads `spinvm bench`'s command line; throws a UsageError (with a suggestion for a misspelt option). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { values } = parseStrict<{
    smoke?: boolean;
    only?: string;
    size?: string;
    seed?: string;
    repeats?: string;
    runs?: string;
    zipf?: string;
    out?: string;
    'no-json'?: boolean;
    tmp?: string;
    json?: boolean;
    help?: boolean;
  }>(
    argv,
    {
      smoke: { type: 'boolean' },
      only: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      repeats: { type: 'string' },
      runs: { type: 'string' },
      zipf: { type: 'string' },
      out: { type: 'string' },
      'no-json': { type: 'boolean' },
      tmp: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    { positionals: false },
  );
  const options: BenchOptions = { ...DEFAULT_OPTIONS, zipf: [...DEFAULT_OPTIONS.zipf] };
  if (values.smoke) options.smoke = true;
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const n of names)
      if (!(WORKLOADS as readonly string[]).includes(n)) throw new UsageError(`--only: unknown workload '${n}' (known: ${WORKLOADS.join(', ')})`);
    if (names.length === 0) throw new UsageError('--only needs at least one workload');
    options.only = names as WorkloadName[];
  }
  if (values.size !== undefined) options.size = positive('--size', values.size);
  if (values.seed !== undefined) options.seed = Math.floor(positive('--seed', values.seed));
  if (values.repeats !== undefined) options.repeats = Math.max(1, Math.floor(positive('--repeats', values.repeats)));
  else if (options.smoke) options.repeats = 1;
  if (values.runs !== undefined) options.runs = wholeNumber('--runs', values.runs);
  if (values.zipf !== undefined) options.zipf = values.zipf.split(',').map((s) => positive('--zipf', s));
  if (values.out !== undefined) {
    if (values.out === '') throw new UsageError('--out needs a file name');
    options.out = values.out;
  }
  if (values['no-json']) options.out = undefined;
  if (values.tmp !== undefined) options.tmpDir = values.tmp;
  return { options, json: values.json === true, help: values.help === true };
}

function wholeNumber(name: string, text: string): number {
  const v = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < 1 || v > 1000)
    throw new UsageError(`${name} must be a whole number from 1 to 1000; got '${text}'`);
  return v;
}

function positive(name: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${name} must be a positive number; got '${text}'`);
  return v;
}

/** Every size the workloads use, from --smoke and --size. */
export interface Sizes {
  pageSize: number;
  /** Resident pages and random reads for the hit workload. */
  hitPages: number;
  hitOps: number;
  /** Fresh pages touched, and the pools they go through. */
  faultPages: number;
  faultPool: number;
  coldPool: number;
  /** Pages for peers that cannot evict (memory-pager, kernel mmap): their memory only grows. */
  peerFaultPages: number;
  /** The file workloads' pool, in frames; the file is four times larger. */
  filePool: number;
  fileBytes: number;
  randomOps: number;
  /** fs.promises takes ~50 µs a call: it does this many random reads, not all of them. */
  promiseOps: number;
  swapPool: number;
  swapOps: number;
  objects: number;
  objectPages: number;
  objectOps: number;
  scalePages: number[];
  scaleObjects: number[];
  scaleRanges: number[];
  scaleOps: number;
}

export function sizesFor(options: Pick<BenchOptions, 'smoke' | 'size'>): Sizes {
  const f = options.size;
  const n = (x: number, min = 1): number => Math.max(min, Math.round(x * f));
  const pow2 = (x: number, min: number): number => Math.max(min, 2 ** Math.round(Math.log2(x * f)));
  const pageSize = 4096;
  if (options.smoke) {
    const filePool = pow2(64, 16);
    return {
      pageSize,
      hitPages: n(64, 4),
      hitOps: n(20_000, 100),
      faultPages: n(4096, 64),
      faultPool: pow2(512, 16),
      coldPool: pow2(256, 16),
      peerFaultPages: n(1024, 16),
      filePool,
      fileBytes: 4 * filePool * pageSize,
      randomOps: n(5000, 100),
      promiseOps: n(200, 10),
      swapPool: pow2(64, 16),
      swapOps: n(2000, 100),
      objects: n(1000, 10),
      objectPages: 4,
      objectOps: n(20_000, 100),
      scalePages: [10, 100, 1000],
      scaleObjects: [10, 100, 1000],
      scaleRanges: [2, 20, 200],
      scaleOps: n(20_000, 100),
    };
  }
  const filePool = pow2(16384, 64);
  return {
    pageSize,
    hitPages: n(16384, 16),
    hitOps: n(4_000_000, 1000),
    faultPages: n(1_000_000, 1000),
    faultPool: pow2(65536, 64),
    coldPool: pow2(65536, 64),
    peerFaultPages: n(262_144, 1000),
    filePool,
    fileBytes: 4 * filePool * pageSize,
    randomOps: n(1_000_000, 1000),
    promiseOps: n(20_000, 100),
    swapPool: pow2(16384, 64),
    swapOps: n(300_000, 1000),
    objects: n(10_000, 100),
    objectPages: 4,
    objectOps: n(2_000_000, 1000),
    scalePages: [1000, 10_000, 100_000],
    scaleObjects: [100, 1000, 10_000],
    scaleRanges: [10, 100, 1000],
    scaleOps: n(2_000_000, 1000),
  };
}
