import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Vm } from '../vmcore/index.js';
import { ExtensionError } from './errors.js';
import { extensionsOf } from './manager/extensions-of.js';
import type { ExtensionInfo } from './manager/manager.js';

/** One extension to load at start-up: a specifier, optionally with options for its `activate`. */
export interface ExtensionEntry {
  specifier: string;
  options?: unknown;
  /** Where the specifier is resolved from: the configuration file's directory, or the cwd for the command line. */
  base: string;
}

/** The configuration file read before package.json's `spinvm` key. */
export const EXTENSION_CONFIG_FILE = 'spinvm.config.json';

/**
 * The extensions configured for a project: `spinvm.config.json` in `cwd` if there is one, else the
 * `spinvm` key of `cwd`'s package.json, else none. The format of both is
 * `{ "extensions": ["name-or-path", { "specifier": "...", "options": { ... } }] }`.
 */
export function readExtensionConfig(cwd: string): { file: string | undefined; entries: ExtensionEntry[] } {
  const dir = resolve(cwd);
  const configFile = join(dir, EXTENSION_CONFIG_FILE);
  if (existsSync(configFile)) return { file: configFile, entries: entriesOf(parse(configFile), configFile) };
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = parse(pkgFile);
    const section = pkg && typeof pkg === 'object' ? (pkg as Record<string, unknown>).spinvm : undefined;
    if (section !== undefined) return { file: pkgFile, entries: entriesOf(section, `${pkgFile} (key "spinvm")`) };
  }
  return { file: undefined, entries: [] };
}

function parse(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ExtensionError(file, 'bad-config', 'it is not valid JSON', { cause: err });
  }
}

function entriesOf(config: unknown, where: string): ExtensionEntry[] {
  const bad = (detail: string): never => {
    throw new ExtensionError(where, 'bad-config', detail);
  };
  if (config === null || typeof config !== 'object' || Array.isArray(config)) bad('the configuration must be an object like { "extensions": [...] }');
  const list = (config as Record<string, unknown>).extensions;
  if (list === undefined) return [];
  if (!Array.isArray(list)) bad('"extensions" must be an array');
  const base = dirname(where.replace(/ \(key "spinvm"\)$/, ''));
  return (list as unknown[]).map((item, i) => {
    if (typeof item === 'string' && item.trim() !== '') return { specifier: item, base };
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const { specifier, options, ...rest } = item as Record<string, unknown>;
      if (typeof specifier !== 'string' || specifier.trim() === '') bad(`extensions[${i}].specifier must be a non-empty string`);
      const unknown = Object.keys(rest);
      if (unknown.length > 0) bad(`extensions[${i}] has unknown key(s) ${unknown.join(', ')} (known: specifier, options)`);
      return { specifier: specifier as string, options, base };
    }
    return bad(`extensions[${i}] must be a specifier string or { "specifier": ..., "options": ... }`);
  });
}

/**
 * Takes `--extension X` (or `--extension=X`) out of a command line: answers the specifiers, in order, and
 * the arguments left for the command.
 */
export function takeExtensionFlags(argv: readonly string[]): { extensions: string[]; rest: string[] } {
  const extensions: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--extension') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new ExtensionError('--extension', 'bad-config', '--extension needs a module path or package name');
      extensions.push(value);
      i++;
    } else if (arg.startsWith('--extension=')) {
      const value = arg.slice('--extension='.length);
      if (value === '') throw new ExtensionError('--extension', 'bad-config', '--extension needs a module path or package name');
      extensions.push(value);
    } else rest.push(arg);
  }
  return { extensions, rest };
}

export interface LoadConfiguredOptions {
  /** The project directory: where the configuration is read and `extra` specifiers are resolved. Default `process.cwd()`. */
  cwd?: string;
  /** More specifiers, loaded after the configured ones (from `--extension` on the command line). */
  extra?: readonly string[];
}

/**
 * Loads the start-up extensions: the configured ones, then `extra`, in order. All or nothing: if one
 * fails, those this call loaded are unloaded again and the error is thrown.
 */
export async function loadConfiguredExtensions(vm: Vm, options: LoadConfiguredOptions = {}): Promise<ExtensionInfo[]> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const entries = readExtensionConfig(cwd).entries;
  for (const specifier of options.extra ?? []) entries.push({ specifier, base: cwd });
  const manager = extensionsOf(vm);
  const loaded: ExtensionInfo[] = [];
  try {
    for (const entry of entries) loaded.push(await manager.load(entry.specifier, { cwd: entry.base, options: entry.options }));
  } catch (err) {
    for (const info of loaded.reverse()) await manager.unload(info.name, { force: true }).catch(() => undefined);
    throw err;
  }
  return loaded;
}
