import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { SqliteUnavailableError } from './errors.js';

/** wa-sqlite's API object (`Factory(module)`): open_v2, exec, prepare_v2, step, close... */
export type SqliteApi = ReturnType<(typeof import('wa-sqlite'))['Factory']>;

/** wa-sqlite's two builds: Asyncify's (a VFS may suspend SQLite on a promise) and the plain synchronous one. */
export type SqliteBuild = 'async' | 'sync';

// wa-sqlite's builds are made for browsers: under Node they cannot fetch their .wasm, so it is read here and
// compiled once per process (per thread: a worker compiles its own); each module instantiates the compiled
// code (about 1 MB of it).
// (The lib this package compiles against has no WebAssembly types: the two calls used, typed here.)
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const compiled = new Map<SqliteBuild, Promise<object>>();
const FILES: Record<SqliteBuild, string> = { async: 'wa-sqlite-async', sync: 'wa-sqlite' };

function compile(build: SqliteBuild): Promise<object> {
  let wasm = compiled.get(build);
  if (wasm === undefined) {
    wasm = (async () => {
      const path = createRequire(import.meta.url).resolve(`wa-sqlite/dist/${FILES[build]}.wasm`);
      return wasmApi.compile(await readFile(path));
    })();
    compiled.set(build, wasm);
    wasm.catch(() => compiled.delete(build)); // a failed attempt is not remembered
  }
  return wasm;
}

/**
 * A fresh SQLite of wa-sqlite's `build` (its own WebAssembly memory), wrapped in wa-sqlite's API, with no VFS
 * of spinvm's registered yet. Missing wa-sqlite (an optional peer dependency) is a SqliteUnavailableError.
 */
export async function instantiateSqlite(build: SqliteBuild): Promise<SqliteApi> {
  try {
    const [{ default: factory }, { Factory }, wasm] = await Promise.all([
      build === 'async' ? import('wa-sqlite/dist/wa-sqlite-async.mjs') : import('wa-sqlite/dist/wa-sqlite.mjs'),
      import('wa-sqlite'),
      compile(build),
    ]);
    const module: unknown = await new Promise((resolve, reject) => {
      factory({
        instantiateWasm(imports: object, done: (instance: object) => void) {
          wasmApi.instantiate(wasm, imports).then(done, reject); // emscripten has no way to hear a failure here
          return {};
        },
      }).then(resolve, reject);
    });
    return Factory(module);
  } catch (err) {
    throw new SqliteUnavailableError(err);
  }
}
