import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @internal Thrown when a specifier names nothing; `ExtensionManager` turns it into ExtensionError('not-found'). */
export class ModuleNotFoundError extends Error {}

const CONDITIONS = ['import', 'node', 'default'];

/** Whether `specifier` is a path (or file URL) rather than a package name. */
export function isPathSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('file:') ||
    isAbsolute(specifier) ||
    /^[A-Za-z]:[\\/]/.test(specifier)
  );
}

/**
 * @internal The file URL of the module `specifier` names, as the user's project sees it from `cwd`: a file, a
 * package directory, or an installed package name (with an optional subpath), following package.json
 * `exports` with the `import` condition, then `main`, then index.js. Symbolic links are resolved, as
 * Node's own loader does, so a linked package is the same module however it is reached.
 */
export function resolveModule(specifier: string, cwd: string): string {
  if (typeof specifier !== 'string' || specifier.trim() === '') throw new ModuleNotFoundError('the specifier is empty');
  let file: string;
  if (isPathSpecifier(specifier)) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolvePath(cwd, specifier);
    file = fileOrPackage(path, specifier);
  } else {
    file = resolvePackage(specifier, cwd);
  }
  return pathToFileURL(realpathSync(file)).href;
}

function fileOrPackage(path: string, specifier: string): string {
  if (!existsSync(path)) throw new ModuleNotFoundError(`no file or directory at ${path}`);
  if (!statSync(path).isDirectory()) return path;
  const entry = packageEntry(path, '.');
  if (entry === undefined) throw new ModuleNotFoundError(`${specifier} is a directory with no package.json entry and no index.js`);
  return entry;
}

function splitName(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const n = specifier.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === '')) throw new ModuleNotFoundError(`'${specifier}' is not a package name`);
  const rest = parts.slice(n).join('/');
  return { name: parts.slice(0, n).join('/'), subpath: rest === '' ? '.' : `./${rest}` };
}

function resolvePackage(specifier: string, cwd: string): string {
  const { name, subpath } = splitName(specifier);
  for (let dir = resolvePath(cwd); ; dir = dirname(dir)) {
    const root = join(dir, 'node_modules', name);
    if (existsSync(join(root, 'package.json'))) {
      const entry = packageEntry(root, subpath);
      if (entry !== undefined) return entry;
      throw new ModuleNotFoundError(`package '${name}' (at ${root}) exports nothing for '${subpath}'`);
    }
    if (dirname(dir) === dir) break;
  }
  // Not under a node_modules directory: let Node's CommonJS resolver try (global paths, NODE_PATH).
  try {
    return createRequire(join(resolvePath(cwd), 'noop.js')).resolve(specifier);
  } catch {
    throw new ModuleNotFoundError(`cannot find package '${name}' from ${cwd}`);
  }
}

/** The file a package directory exports for `subpath` ('.' for the package itself), or undefined. */
function packageEntry(root: string, subpath: string): string | undefined {
  const pkgFile = join(root, 'package.json');
  let pkg: { exports?: unknown; main?: unknown } = {};
  if (existsSync(pkgFile)) {
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new ModuleNotFoundError(`${pkgFile} is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const target = exportTarget(pkg.exports, subpath);
    return target === undefined ? undefined : join(root, target);
  }
  if (subpath !== '.') {
    const file = join(root, subpath);
    for (const candidate of [file, `${file}.js`, join(file, 'index.js')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    return undefined;
  }
  if (typeof pkg.main === 'string') {
    const main = join(root, pkg.main);
    for (const candidate of [main, `${main}.js`, join(main, 'index.js')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const index = join(root, 'index.js');
  return existsSync(index) ? index : undefined;
}

/** package.json `exports` for one subpath: exact keys, then a single `*` pattern, through the conditions. */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap = typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports as object).some((k) => k.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditional(exports, undefined) : undefined;
  const map = exports as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return conditional(map[subpath], undefined);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      return conditional(value, subpath.slice(prefix.length, subpath.length - suffix.length));
    }
  }
  return undefined;
}

function conditional(target: unknown, star: string | undefined): string | undefined {
  if (typeof target === 'string') return star === undefined ? target : target.replaceAll('*', star);
  if (Array.isArray(target)) {
    for (const t of target) {
      const found = conditional(t, star);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.includes(condition)) continue;
      const found = conditional(value, star);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The file that called `entry` (the user's module that called `load`), from the call stack, so a relative
 * specifier means what it would in that file's own `import`, whatever the working directory. V8's
 * structured call sites are asked for first; where a source-map handler has taken over stack formatting
 * (test runners do), the first line of the formatted stack is read instead. Undefined when no file shows
 * (a REPL, eval).
 */
export function callerFile(entry: (...args: never[]) => unknown): string | undefined {
  const original = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder, entry);
    void holder.stack; // formatted now, while the override is in place
  } finally {
    Error.prepareStackTrace = original;
  }
  let name: string | null | undefined;
  if (Array.isArray(holder.stack)) name = (holder.stack[0] as NodeJS.CallSite | undefined)?.getFileName();
  else if (typeof holder.stack === 'string') {
    const line = holder.stack.split('\n').find((l) => l.trimStart().startsWith('at '));
    name = line?.match(/((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^()]*?):\d+:\d+\)?\s*$/)?.[1];
  }
  if (name === undefined || name === null || name.startsWith('node:')) return undefined;
  const file = name.startsWith('file:') ? fileURLToPath(name) : name;
  return isAbsolute(file) ? file : undefined;
}

/** The folder a `base` (a file URL such as `import.meta.url`, a file path, or a folder path ending in `/`) stands for. */
export function baseDirectory(base: string | URL): string {
  const text = base instanceof URL ? base.href : base;
  const path = text.startsWith('file:') ? fileURLToPath(text) : resolvePath(text);
  if (text.endsWith('/') || (existsSync(path) && statSync(path).isDirectory())) return path;
  return dirname(path);
}
