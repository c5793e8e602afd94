import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Vm } from '../../vmcore/index.js';
import { SqliteUnavailableError } from './errors.js';
import { SpinVfs, type SqliteVfsOptions } from './vfs.js';

/** wa-sqlite's API object (`Factory(module)`): open_v2, exec, prepare_v2, step, close... */
export type SqliteApi = ReturnType<(typeof import('wa-sqlite'))['Factory']>;

export interface LoadSqliteOptions extends SqliteVfsOptions {
  /** Make the VFS SQLite's default, so `open_v2(name)` uses it without naming it. Default true. */
  makeDefault?: boolean;
}

export interface SpinSqlite {
  /** wa-sqlite's API over a fresh asynchronous SQLite module. */
  sqlite3: SqliteApi;
  /** The VFS registered in it; `vfs.close()` gives its in-memory files back once the databases are closed. */
  vfs: SpinVfs;
}

// wa-sqlite's builds are made for browsers: under Node they cannot fetch their .wasm, so it is read here and
// compiled once per process; each module instantiates the compiled code (about 1 MB of it).
// (The lib this package compiles against has no WebAssembly types: the two calls used, typed here.)
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: Promise<object> | undefined;
function compileAsyncBuild(): Promise<object> {
  compiled ??= (async () => {
    const path = createRequire(import.meta.url).resolve('wa-sqlite/dist/wa-sqlite-async.wasm');
    return wasmApi.compile(await readFile(path));
  })();
  compiled.catch(() => (compiled = undefined)); // a failed attempt is not remembered
  return compiled;
}

/**
 * Loads wa-sqlite's asynchronous build (a new SQLite, with its own memory) and registers a `SpinVfs` over
 * `vm` in it, as the default VFS unless `makeDefault: false`. The options are SpinVfs's. Missing wa-sqlite
 * (an optional peer dependency) is a SqliteUnavailableError.
 */
export async function loadSqlite(vm: Vm, options?: LoadSqliteOptions): Promise<SpinSqlite> {
  const { makeDefault, ...rest } = options ?? {};
  if (makeDefault !== undefined && typeof makeDefault !== 'boolean') {
    const { InvalidArgumentError } = await import('../../vmcore/index.js');
    throw new InvalidArgumentError('makeDefault', makeDefault, 'a boolean');
  }
  const vfs = new SpinVfs(vm, options === undefined ? undefined : rest); // checks the options before anything loads
  let sqlite3: SqliteApi;
  try {
    const [{ default: factory }, { Factory }, wasm] = await Promise.all([
      import('wa-sqlite/dist/wa-sqlite-async.mjs'),
      import('wa-sqlite'),
      compileAsyncBuild(),
    ]);
    const module: unknown = await new Promise((resolve, reject) => {
      factory({
        instantiateWasm(imports: object, done: (instance: object) => void) {
          wasmApi.instantiate(wasm, imports).then(done, reject); // emscripten has no way to hear a failure here
          return {};
        },
      }).then(resolve, reject);
    });
    sqlite3 = Factory(module);
  } catch (err) {
    throw new SqliteUnavailableError(err);
  }
  sqlite3.vfs_register(vfs as unknown as SQLiteVFS, makeDefault ?? true);
  return { sqlite3, vfs };
}
