/** Command-line options of `spinvm bench` and the sizes every workload derives from them. */

export const WORKLOADS = ['hits', 'faults', 'scan', 'random', 'swap', 'objects', 'memory', 'scaling'] as const;
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
  /** Where the JSON results go (a file named by the start time); undefined writes none. */
  outDir: string | undefined;
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
  outDir: 'bench/results',
  tmpDir: undefined,
  zipf: [0.9, 1.2],
};

export const USAGE = `usage: spinvm bench [options]

Measures spinvm against its peers (plain Uint8Array, memory-pager, an lru-cache buffer cache, raw fs reads,
kernel mmap) on the workloads of issue 6, prints a table and writes bench/results/<time>.json.

options:
  --smoke              tiny sizes, one repetition: seconds, for CI (asserts nothing about speed)
  --only a,b,...       run only these workloads: ${WORKLOADS.join(', ')}
  --size F             multiply every size by F (default 1; 0.1 for a quick look)
  --seed N             seed of the generators (default ${DEFAULT_OPTIONS.seed})
  --repeats N          runs of each tight loop, the fastest kept (default ${DEFAULT_OPTIONS.repeats})
  --zipf S,S           zipf exponents for random reads (default ${DEFAULT_OPTIONS.zipf.join(',')}; 0.9 to 1.2)
  --out DIR            folder for the JSON results (default bench/results)
  --no-json            write no JSON file
  --tmp DIR            folder for the test file and swap (default the system's temporary folder)
  --json               print the JSON results on stdout instead of the table
  -h, --help           this text`;

export interface ParsedArgs {
  options: BenchOptions;
  json: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const options: BenchOptions = { ...DEFAULT_OPTIONS, zipf: [...DEFAULT_OPTIONS.zipf] };
  let json = false;
  let help = false;
  let repeatsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--smoke':
        options.smoke = true;
        break;
      case '--only': {
        const names = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const n of names) if (!(WORKLOADS as readonly string[]).includes(n)) throw new Error(`--only: unknown workload '${n}' (known: ${WORKLOADS.join(', ')})`);
        options.only = names as WorkloadName[];
        break;
      }
      case '--size':
        options.size = positive(name, value());
        break;
      case '--seed':
        options.seed = Math.floor(positive(name, value()));
        break;
      case '--repeats':
        options.repeats = Math.max(1, Math.floor(positive(name, value())));
        repeatsGiven = true;
        break;
      case '--zipf':
        options.zipf = value()
          .split(',')
          .map((s) => positive(name, s));
        break;
      case '--out':
        options.outDir = value();
        break;
      case '--no-json':
        options.outDir = undefined;
        break;
      case '--tmp':
        options.tmpDir = value();
        break;
      case '--json':
        json = true;
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        throw new Error(`unknown option '${arg}'`);
    }
  }
  if (options.smoke && !repeatsGiven) options.repeats = 1;
  return { options, json, help };
}

function positive(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number; got '${text}'`);
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
