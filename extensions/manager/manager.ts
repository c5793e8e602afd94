/**
 * The extensions of one instance, as SPIN loaded its default pager: `load` imports a module, checks its
 * manifest and runs its `activate`; `unload` runs `deactivate` and undoes everything it registered. Reach
 * it with `extensionsOf(vm)`, which keeps it in the instance's container.
 *
 * Invariants:
 * - Operations (load, unload, the instance's shutdown) run one at a time, in call order (OperationQueue).
 * - A load that fails changes nothing: everything is checked before `activate` runs, and what a failing
 *   `activate` did is undone, leaving the container's bindings exactly as they were (the same objects).
 * - `loaded` holds the active extensions, in load order; an extension is in it from the end of its
 *   `activate` to the end of its unload.
 * - After the instance's shutdown, every operation fails with 'not-loaded'.
 */
import { dirname } from 'node:path';
import { InvalidArgumentError, type MemoryObject, TOKENS, type Vm } from '../../vmcore/index.js';
import type { ExtensionModule } from '../api.js';
import { ExtensionError } from '../errors.js';
import { baseDirectory, callerFile, ModuleNotFoundError, resolveModule } from '../resolve.js';
import type { BindingJournal } from './binding-journal.js';
import { BindingTable } from './binding-table.js';
import { makeContext } from './context.js';
import { LoadedExtension } from './loaded-extension.js';
import { checkModule, labelOf } from './manifest.js';
import { OperationQueue } from './operation-queue.js';
import { Problems } from './problems.js';

export interface LoadOptions {
  /**
   * What a relative path or a package name is resolved from, as `import` would from that module: a file
   * URL (`import.meta.url`) or a path. Default: the file that called `load` (found from the call stack),
   * else the working directory.
   */
  base?: string | URL;
  /** A folder to resolve from instead (the working directory of a command line). */
  cwd?: string;
  /** Handed to the extension as `context.options`. */
  options?: unknown;
}

export interface UnloadOptions {
  /** Flush and destroy the memory objects made with the extension's pagers instead of refusing. */
  force?: boolean;
}

export interface UnloadReport {
  name: string;
  /** Names of the memory objects a forced unload flushed and destroyed. */
  destroyedObjects: string[];
  /** What failed on the way (a flush, `deactivate`, an unload hook); the extension is unloaded regardless. */
  errors: Error[];
}

/** What `list()` tells about a loaded extension. */
export interface ExtensionInfo {
  name: string;
  version: string;
  description: string;
  apiVersion: string | number;
  /** The specifier it was loaded from (undefined when a module object was given). */
  specifier: string | undefined;
  /** The file URL it was imported from. */
  url: string | undefined;
  /** Pager names it registered with `bindPager`. */
  pagers: string[];
  /** Whether the default pager is one it installed (it replaced the default, and nothing has replaced it since). */
  defaultPager: boolean;
  /** Live memory objects made with its pagers. */
  objects: number;
}

export class ExtensionManager {
  private readonly loaded = new Map<string, LoadedExtension>();
  private readonly table: BindingTable;
  private readonly queue = new OperationQueue();
  private seq = 0;
  private closed = false;

  /** Made by `extensionsOf(vm)`, the one way to reach an instance's manager (only the type is exported). */
  constructor(readonly vm: Vm) {
    this.table = BindingTable.of(vm.container);
    vm.onShutdown(() => this.shutdown());
  }

  /**
   * Loads an extension: a file path, a package directory, an installed package name, or a module object.
   * Everything is checked before anything changes; if `activate` throws, what it did is undone and the
   * container is exactly as it was. Fails with an ExtensionError naming the extension and the cause.
   */
  load(what: string | ExtensionModule, options: LoadOptions = {}): Promise<ExtensionInfo> {
    let from = '';
    try {
      if (typeof what === 'string') from = this.resolveFrom(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(typeof what === 'string' ? what : labelOf(what), () => this.doLoad(what, options, from));
  }

  /**
   * Unloads an extension: refuses while memory objects made with its pagers are alive, unless `force`
   * (then each is flushed, best effort, and destroyed). Runs `deactivate` and the unload hooks, drops its
   * event subscriptions and undoes its container changes: pagers it registered are gone, and a default
   * pager it installed gives way to the one before it (the bogopager, out of the box).
   */
  unload(name: string, options: UnloadOptions = {}): Promise<UnloadReport> {
    return this.queue.run(name, () => this.doUnload(name, options));
  }

  /** The loaded extensions, in load order. */
  list(): ExtensionInfo[] {
    return [...this.loaded.values()].map((ext) => this.info(ext));
  }

  has(name: string): boolean {
    return this.loaded.has(name);
  }

  /** The live memory objects made with the pagers of extension `name`. */
  objectsOf(name: string): MemoryObject[] {
    const ext = this.loaded.get(name);
    if (!ext) throw new ExtensionError(name, 'not-loaded', 'no extension of that name is loaded');
    return this.objectsOfExtension(ext);
  }

  /** The folder a specifier given to `load` is resolved from: `cwd`, else `base`, else the caller's folder, else the working directory. */
  private resolveFrom(options: LoadOptions): string {
    if (options === null || typeof options !== 'object') return process.cwd(); // doLoad reports the bad options
    if (options.cwd !== undefined) return options.cwd;
    if (options.base !== undefined) {
      if (typeof options.base !== 'string' && !(options.base instanceof URL))
        throw new InvalidArgumentError('options.base', options.base, 'a file URL (import.meta.url) or a path');
      return baseDirectory(options.base);
    }
    const caller = callerFile(ExtensionManager.prototype.load);
    return caller === undefined ? process.cwd() : dirname(caller);
  }

  private async doLoad(what: string | ExtensionModule, options: LoadOptions, from: string): Promise<ExtensionInfo> {
    const label = typeof what === 'string' ? what : labelOf(what);
    this.checkOpen(label);
    const { namespace, url } = typeof what === 'string' ? await importExtension(what, from) : { namespace: what, url: undefined };
    const module = checkModule(namespace, label);
    const name = module.manifest.name;
    if (this.loaded.has(name)) throw new ExtensionError(name, 'already-loaded', `an extension named '${name}' is loaded already; unload it first`);

    const ext = new LoadedExtension(this.seq++, module, Object.freeze({ ...module.manifest }), typeof what === 'string' ? what : undefined, url, this.table);
    ext.context = makeContext(this.vm, ext, options.options);
    const activation = ext.journal.watch();
    try {
      await module.activate(ext.context);
    } catch (err) {
      const problems = new Problems();
      await ext.abandon(problems);
      activation(); // after the hooks: what they changed is undone too
      await ext.journal.undo(this.loadedAfter(ext), problems);
      const detail =
        problems.errors.length === 0
          ? 'activate failed; the instance is as it was before'
          : `activate failed, and undoing it failed too (${problems.errors.map((p) => p.message).join('; ')})`;
      throw new ExtensionError(name, 'activate-failed', detail, { cause: err });
    }
    activation();
    ext.state = 'active';
    this.loaded.set(name, ext);
    return this.info(ext);
  }

  private async doUnload(name: string, options: UnloadOptions): Promise<UnloadReport> {
    this.checkOpen(name);
    if (typeof name !== 'string') throw new InvalidArgumentError('name', name, 'the name of a loaded extension');
    const ext = this.loaded.get(name);
    if (!ext) throw new ExtensionError(name, 'not-loaded', 'no extension of that name is loaded');
    const objects = this.objectsOfExtension(ext);
    if (objects.length > 0 && options.force !== true) {
      const names =
        objects
          .slice(0, 5)
          .map((o) => o.name)
          .join(', ') + (objects.length > 5 ? ', ...' : '');
      throw new ExtensionError(
        name,
        'in-use',
        `${objects.length} memory object(s) made with its pagers are alive (${names}): destroy them, or unload with { force: true } to flush and destroy them`,
      );
    }
    const problems = new Problems();
    for (const object of objects) {
      if (object.isDestroyed) continue;
      await problems.attempt(() => object.flush());
      await problems.attempt(() => object.destroy());
    }
    await ext.retire(problems);
    await ext.journal.undo(this.loadedAfter(ext), problems);
    this.loaded.delete(name);
    return { name, destroyedObjects: objects.map((o) => o.name), errors: problems.errors };
  }

  /** Runs when the instance is destroyed (after its memory objects): retires every extension, newest first. */
  private shutdown(): Promise<void> {
    return this.queue.run('(shutdown)', async () => {
      this.closed = true;
      const problems = new Problems();
      for (const ext of [...this.loaded.values()].reverse()) await ext.retire(problems);
      this.loaded.clear();
      if (problems.errors.length > 0) throw problems.errors[0];
    });
  }

  /** The journals of the extensions loaded after `ext`: heirs to what it displaced. */
  private loadedAfter(ext: LoadedExtension): BindingJournal[] {
    return [...this.loaded.values()].filter((other) => other.seq > ext.seq).map((other) => other.journal);
  }

  private objectsOfExtension(ext: LoadedExtension): MemoryObject[] {
    return ext.ownership.objects(this.vm, ext.journal.bindings());
  }

  private info(ext: LoadedExtension): ExtensionInfo {
    const m = ext.manifest;
    return {
      name: m.name,
      version: m.version,
      description: m.description,
      apiVersion: m.apiVersion,
      specifier: ext.specifier,
      url: ext.url,
      pagers: [...ext.pagerNames],
      defaultPager: ext.journal.holds(TOKENS.DefaultPager),
      objects: this.objectsOfExtension(ext).length,
    };
  }

  private checkOpen(label: string): void {
    if (this.closed) throw new ExtensionError(label, 'not-loaded', 'the instance has been destroyed');
  }
}

/** Resolves and imports a specifier given to `load`. */
async function importExtension(specifier: string, from: string): Promise<{ namespace: unknown; url: string }> {
  let url: string;
  try {
    url = resolveModule(specifier, from);
  } catch (err) {
    if (err instanceof ModuleNotFoundError) throw new ExtensionError(specifier, 'not-found', err.message);
    throw new ExtensionError(specifier, 'not-found', 'it could not be resolved', { cause: err });
  }
  try {
    return { namespace: await import(url), url };
  } catch (err) {
    throw new ExtensionError(specifier, 'import-failed', `importing ${url} failed`, { cause: err });
  }
}
