/**
 * The checks an extension passes before anything of it runs: its module's exports, its manifest, and the
 * extension API version the manifest asks for. Each failure is an ExtensionError naming the extension by
 * its manifest name when that is readable, else by `label` (its specifier, or '(module object)').
 */
import { EXTENSION_API_VERSION, type ExtensionManifest, type ExtensionModule } from '../api.js';
import { ExtensionError } from '../errors.js';
import { checkRange, isValidVersion, parseVersion, satisfies } from '../semver.js';

/** npm's rule for package names: lower-case letters, digits, `-`, `_`, `.`, optionally `@scope/`. */
const NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const MAX_NAME_LENGTH = 214;

/** What to call a module object in messages before its manifest is checked. */
export function labelOf(what: unknown): string {
  const name = (what as { manifest?: { name?: unknown } } | undefined)?.manifest?.name;
  return typeof name === 'string' && name !== '' ? name : '(module object)';
}

/** The extension inside a module namespace (or its default export), checked: exports, manifest, API version. */
export function checkModule(namespace: unknown, label: string): ExtensionModule {
  let mod = namespace as Partial<ExtensionModule> & { default?: unknown };
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) throw new ExtensionError(label, 'missing-export', 'it is not a module');
  if (mod.manifest === undefined && mod.activate === undefined && mod.default && typeof mod.default === 'object') mod = mod.default as typeof mod;
  if (mod.manifest === undefined) throw new ExtensionError(label, 'missing-export', "it exports no 'manifest'");
  if (typeof mod.activate !== 'function') throw new ExtensionError(label, 'missing-export', "it exports no 'activate' function");
  if (mod.deactivate !== undefined && typeof mod.deactivate !== 'function')
    throw new ExtensionError(label, 'missing-export', "its 'deactivate' export is not a function");
  const manifest = checkManifest(mod.manifest, label);
  return { manifest, activate: mod.activate.bind(mod), ...(mod.deactivate ? { deactivate: mod.deactivate.bind(mod) } : {}) };
}

function checkManifest(manifest: unknown, label: string): ExtensionManifest {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest))
    throw new ExtensionError(label, 'bad-manifest', 'its manifest is not an object');
  const m = manifest as Record<string, unknown>;
  const bad = (detail: string): never => {
    throw new ExtensionError(typeof m.name === 'string' && m.name !== '' ? m.name : label, 'bad-manifest', `its manifest ${detail}`);
  };
  if (typeof m.name !== 'string' || m.name.length > MAX_NAME_LENGTH || !NAME.test(m.name))
    bad(`name must be lower-case letters, digits, '-', '_' or '.' (optionally @scope/); got ${JSON.stringify(m.name)}`);
  if (!isValidVersion(m.version)) bad(`version must be a semver version like 1.0.0; got ${JSON.stringify(m.version)}`);
  if (typeof m.description !== 'string' || m.description.trim() === '') bad('description must be a non-empty string');
  const api = m.apiVersion;
  if (typeof api === 'number') {
    if (!Number.isInteger(api) || api < 0) bad(`apiVersion must be a semver range or a non-negative integer; got ${api}`);
  } else if (typeof api === 'string') {
    const problem = checkRange(api);
    if (problem) bad(`apiVersion ${JSON.stringify(api)} is not a semver range (${problem})`);
  } else bad(`apiVersion must be a semver range or an integer; got ${JSON.stringify(api)}`);
  const major = parseVersion(EXTENSION_API_VERSION)![0];
  const ok = typeof api === 'number' ? api === major : satisfies(EXTENSION_API_VERSION, api as string);
  if (!ok)
    throw new ExtensionError(
      m.name as string,
      'incompatible-api',
      `it needs extension API ${JSON.stringify(api)}, but this spinvm provides ${EXTENSION_API_VERSION}`,
    );
  return manifest as ExtensionManifest;
}
