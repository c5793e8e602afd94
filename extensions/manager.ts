import { AsyncLocalStorage } from 'node:async_hooks';
import type { Container, ContainerModule, Newable, ServiceIdentifier } from 'inversify';
import type { CacheFactory } from '../vmcore/cache/cache.js';
import { InvalidArgumentError } from '../vmcore/errors.js';
import type { EventName, Listener } from '../vmcore/events.js';
import type { MemoryObject } from '../vmcore/memory-object/memory-object.js';
import type { PolicyFactory } from '../vmcore/page-queue/replacement-policy.js';
import type { Pager } from '../vmcore/pager/pager.js';
import { checkPagerClass, isPager, isPagerClass } from '../vmcore/index.js';
import { TOKENS } from '../vmcore/vm/tokens.js';
import type { Vm } from '../vmcore/vm/vm.js';
import { EXTENSION_API_VERSION, EXTENSION_TOKENS, type ExtensionContext, type ExtensionManifest, type ExtensionModule, type PagerProvider } from './api.js';
import { currentBindings, reinstateBinding, unbindById, type BindingRecord } from './bindings.js';
import { ExtensionError } from './errors.js';
import { baseDirectory, callerFile, ModuleNotFoundError, resolveModule } from './resolve.js';
import { dirname } from 'node:path';
import { checkRange, isValidVersion, parseVersion, satisfies } from './semver.js';

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

/** What an extension changed in the container: bindings it added and bindings it removed, by id. */
interface Changes {
  added: Map<number, BindingRecord>;
  displaced: Map<number, BindingRecord>;
}

type State = 'activating' | 'active' | 'retiring' | 'gone';

/** One loaded (or loading) extension. */
class Loaded {
  state: State = 'activating';
  changes: Changes = { added: new Map(), displaced: new Map() };
  readonly unsubscribers = new Set<() => void>();
  readonly hooks: Array<() => void | Promise<void>> = [];
  /** Pagers resolved through its bindings: the memory objects over them keep it loaded. */
  readonly pagers = new WeakSet<Pager>();
  readonly pagerNames: string[] = [];
  context!: ExtensionContext;
  /** The activation handler of its pager bindings: remembers each pager they make. */
  readonly claim = (_ctx: unknown, pager: Pager): Pager => {
    if (isPager(pager)) this.pagers.add(pager);
    return pager;
  };
  constructor(
    readonly seq: number,
    readonly module: ExtensionModule,
    readonly manifest: Readonly<ExtensionManifest>,
    readonly specifier: string | undefined,
    readonly url: string | undefined,
  ) {}
}

/**
 * The extension operations the current async context is inside, innermost first, whatever instance they
 * belong to. One storage for the whole process: an enabled AsyncLocalStorage stays enabled (and is visited
 * by Node's promise hooks on every promise made anywhere) until disabled, so one per manager made each
 * destroyed instance slow down every later await in the process.
 */
interface Running {
  readonly token: object;
  readonly outer: Running | undefined;
}
const inside = new AsyncLocalStorage<Running>();

function isInside(token: object | undefined): boolean {
  if (token === undefined) return false;
  for (let frame = inside.getStore(); frame !== undefined; frame = frame.outer) if (frame.token === token) return true;
  return false;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/**
 * The extensions of one instance, as SPIN loaded its default pager: `load` imports a module, checks its
 * manifest and runs its `activate`; `unload` runs `deactivate` and undoes everything it registered.
 * Operations run one at a time, in call order. Get it with `extensionsOf(vm)` (or `vm.extensions`).
 */
export class ExtensionManager {
  private readonly loaded = new Map<string, Loaded>();
  private readonly container: Container;
  private queue: Promise<unknown> = Promise.resolve();
  private running: object | undefined;
  private seq = 0;
  private closed = false;

  constructor(readonly vm: Vm) {
    this.container = vm.container;
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
    return this.serialize(typeof what === 'string' ? what : labelOf(what), () => this.doLoad(what, options, from));
  }

  /** The folder a specifier given to `load` is resolved from: `cwd`, else `base`, else the caller's folder, else the working directory. */
  private resolveFrom(options: LoadOptions): string {
    if (options === null || typeof options !== 'object') return process.cwd(); // doLoad reports the bad options
    if (options.cwd !== undefined) return options.cwd;
    if (options.base !== undefined) {
      if (typeof options.base !== 'string' && !(options.base instanceof URL)) throw new InvalidArgumentError('options.base', options.base, 'a file URL (import.meta.url) or a path');
      return baseDirectory(options.base);
    }
    const caller = callerFile(ExtensionManager.prototype.load);
    return caller === undefined ? process.cwd() : dirname(caller);
  }

  /**
   * Unloads an extension: refuses while memory objects made with its pagers are alive, unless `force`
   * (then each is flushed, best effort, and destroyed). Runs `deactivate` and the unload hooks, drops its
   * event subscriptions and undoes its container changes: pagers it registered are gone, and a default
   * pager it installed gives way to the one before it (the bogopager, out of the box).
   */
  unload(name: string, options: UnloadOptions = {}): Promise<UnloadReport> {
    return this.serialize(name, () => this.doUnload(name, options));
  }

  /** The loaded extensions, in load order. */
  list(): ExtensionInfo[] {
    return [...this.loaded.values()].map((rec) => this.info(rec));
  }

  has(name: string): boolean {
    return this.loaded.has(name);
  }

  /** The live memory objects made with the pagers of extension `name`. */
  objectsOf(name: string): MemoryObject[] {
    const rec = this.loaded.get(name);
    if (!rec) throw new ExtensionError(name, 'not-loaded', 'no extension of that name is loaded');
    return this.objectsOfRecord(rec);
  }

  // ---- loading ----

  private async doLoad(what: string | ExtensionModule, options: LoadOptions, from: string): Promise<ExtensionInfo> {
    this.checkOpen(typeof what === 'string' ? what : labelOf(what));
    let namespace: unknown = what;
    let url: string | undefined;
    if (typeof what === 'string') {
      try {
        url = resolveModule(what, from);
      } catch (err) {
        if (err instanceof ModuleNotFoundError) throw new ExtensionError(what, 'not-found', err.message);
        throw new ExtensionError(what, 'not-found', 'it could not be resolved', { cause: err });
      }
      try {
        namespace = await import(url);
      } catch (err) {
        throw new ExtensionError(what, 'import-failed', `importing ${url} failed`, { cause: err });
      }
    }
    const ext = checkModule(namespace, typeof what === 'string' ? what : labelOf(what));
    const name = ext.manifest.name;
    if (this.loaded.has(name)) throw new ExtensionError(name, 'already-loaded', `an extension named '${name}' is loaded already; unload it first`);

    const rec = new Loaded(this.seq++, ext, Object.freeze({ ...ext.manifest }), typeof what === 'string' ? what : undefined, url);
    rec.context = this.makeContext(rec, options.options);
    const before = currentBindings(this.container);
    try {
      await ext.activate(rec.context);
      rec.changes = diff(before, currentBindings(this.container));
    } catch (err) {
      rec.state = 'gone';
      const problems: Error[] = [];
      await this.runHooks(rec, problems);
      this.unsubscribe(rec);
      await this.revert(rec, diff(before, currentBindings(this.container)), problems);
      const detail = problems.length === 0 ? 'activate failed; the instance is as it was before' : `activate failed, and undoing it failed too (${problems.map((p) => p.message).join('; ')})`;
      throw new ExtensionError(name, 'activate-failed', detail, { cause: err });
    }
    rec.state = 'active';
    this.loaded.set(name, rec);
    return this.info(rec);
  }

  // ---- unloading ----

  private async doUnload(name: string, options: UnloadOptions): Promise<UnloadReport> {
    this.checkOpen(name);
    if (typeof name !== 'string') throw new InvalidArgumentError('name', name, 'the name of a loaded extension');
    const rec = this.loaded.get(name);
    if (!rec) throw new ExtensionError(name, 'not-loaded', 'no extension of that name is loaded');
    const objects = this.objectsOfRecord(rec);
    if (objects.length > 0 && options.force !== true) {
      const names = objects.slice(0, 5).map((o) => o.name).join(', ') + (objects.length > 5 ? ', ...' : '');
      throw new ExtensionError(name, 'in-use', `${objects.length} memory object(s) made with its pagers are alive (${names}): destroy them, or unload with { force: true } to flush and destroy them`);
    }
    const errors: Error[] = [];
    for (const object of objects) {
      if (object.isDestroyed) continue;
      try {
        await object.flush();
      } catch (err) {
        errors.push(asError(err));
      }
      try {
        await object.destroy();
      } catch (err) {
        errors.push(asError(err));
      }
    }
    await this.retire(rec, errors);
    await this.revert(rec, rec.changes, errors);
    this.loaded.delete(name);
    return { name, destroyedObjects: objects.map((o) => o.name), errors };
  }

  /** deactivate, unload hooks, subscriptions: everything but the container. */
  private async retire(rec: Loaded, errors: Error[]): Promise<void> {
    rec.state = 'retiring';
    if (rec.module.deactivate) {
      try {
        await rec.module.deactivate(rec.context);
      } catch (err) {
        errors.push(new ExtensionError(rec.manifest.name, 'deactivate-failed', 'deactivate threw; the extension is unloaded all the same', { cause: err }));
      }
    }
    await this.runHooks(rec, errors);
    this.unsubscribe(rec);
    rec.state = 'gone';
  }

  private async runHooks(rec: Loaded, errors: Error[]): Promise<void> {
    for (const hook of rec.hooks.splice(0).reverse()) {
      try {
        await hook();
      } catch (err) {
        errors.push(new ExtensionError(rec.manifest.name, 'deactivate-failed', 'an unload hook threw', { cause: err }));
      }
    }
  }

  private unsubscribe(rec: Loaded): void {
    for (const off of rec.unsubscribers) off();
    rec.unsubscribers.clear();
  }

  /**
   * Undoes `changes`: removes the bindings the extension added and puts back those it removed. When a
   * later extension has since replaced what this one added (two default pagers, loaded in turn), nothing
   * is put back now: the later one inherits what this one had replaced, so unloading in any order ends
   * with what was there before either. If someone else removed its bindings, what they did stands.
   */
  private async revert(rec: Loaded, changes: Changes, errors: Error[]): Promise<void> {
    const later = [...this.loaded.values()].filter((r) => r.seq > rec.seq);
    const services = new Set<ServiceIdentifier>();
    for (const b of [...changes.added.values(), ...changes.displaced.values()]) services.add(b.serviceIdentifier);
    for (const service of services) {
      const now = currentBindings(this.container);
      const added = [...changes.added.values()].filter((b) => b.serviceIdentifier === service);
      const displaced = [...changes.displaced.values()].filter((b) => b.serviceIdentifier === service);
      const present = added.filter((b) => now.has(b.id));
      for (const b of present) {
        try {
          await unbindById(this.container, b.id);
        } catch (err) {
          errors.push(asError(err));
        }
      }
      const taker = later.find((r) => added.some((b) => r.changes.displaced.has(b.id)));
      if (taker) {
        for (const b of added) taker.changes.displaced.delete(b.id);
        for (const b of displaced) taker.changes.displaced.set(b.id, b);
      } else if (present.length > 0 || added.length === 0) {
        const after = currentBindings(this.container);
        for (const b of displaced) if (!after.has(b.id)) reinstateBinding(this.container, b);
      }
    }
  }

  // ---- the instance's end ----

  /** Runs when the instance is destroyed (after its memory objects): deactivates every extension, newest first. */
  private shutdown(): Promise<void> {
    return this.serialize('(shutdown)', async () => {
      this.closed = true;
      const errors: Error[] = [];
      for (const rec of [...this.loaded.values()].reverse()) await this.retire(rec, errors);
      this.loaded.clear();
      if (errors.length > 0) throw errors[0];
    });
  }

  // ---- the context ----

  private makeContext(rec: Loaded, options: unknown): ExtensionContext {
    const vm = this.vm;
    const container = this.container;
    const name = rec.manifest.name;
    const live = (): void => {
      if (rec.state === 'gone') throw new ExtensionError(name, 'not-loaded', 'its context was used after it was unloaded');
    };
    /** Changes made through the context after activation are recorded as they happen. */
    const track = (change: () => void): void => {
      live();
      if (rec.state === 'activating') return change();
      const before = currentBindings(container);
      change();
      merge(rec.changes, diff(before, currentBindings(container)));
    };
    const claimed = (pager: unknown): Pager => rec.claim(undefined, pager as Pager);
    const context: ExtensionContext = {
      vm,
      container,
      manifest: rec.manifest,
      options,
      bindPager(pagerName: string, provider: PagerProvider): void {
        checkPagerName(pagerName);
        checkProvider(provider);
        track(() => {
          if (container.isBound(TOKENS.Pager, { name: pagerName })) throw new InvalidArgumentError('name', pagerName, 'a pager name not registered yet');
          const bind = container.bind<Pager>(TOKENS.Pager);
          if (isPagerClass(provider)) bind.to(provider).inTransientScope().whenNamed(pagerName).onActivation(rec.claim);
          else bind.toDynamicValue(() => claimed(provider())).inTransientScope().whenNamed(pagerName);
        });
        rec.pagerNames.push(pagerName);
      },
      setDefaultPager(provider: PagerProvider): void {
        checkProvider(provider);
        track(() => {
          const rebind = container.rebind<Pager>(TOKENS.DefaultPager);
          if (isPagerClass(provider)) rebind.to(provider).inTransientScope().onActivation(rec.claim);
          else rebind.toDynamicValue(() => claimed(provider())).inTransientScope();
        });
      },
      setCacheFactory(factory: CacheFactory): void {
        if (typeof factory !== 'function') throw new InvalidArgumentError('factory', factory, 'a function answering a Cache');
        track(() => void container.rebind<CacheFactory>(TOKENS.CacheFactory).toConstantValue(factory));
      },
      bindPolicy(policyName: string, factory: PolicyFactory): void {
        checkPagerName(policyName, 'name');
        if (typeof factory !== 'function') throw new InvalidArgumentError('factory', factory, 'a function answering a ReplacementPolicy');
        track(() => {
          if (container.isBound(EXTENSION_TOKENS.PolicyFactory, { name: policyName })) throw new InvalidArgumentError('name', policyName, 'a policy name not registered yet');
          container.bind<PolicyFactory>(EXTENSION_TOKENS.PolicyFactory).toConstantValue(factory).whenNamed(policyName);
        });
      },
      load(...modules: ContainerModule[]): void {
        track(() => container.load(...modules));
      },
      on<K extends EventName>(event: K, listener: Listener<K>): () => void {
        live();
        const off = vm.on(event, listener);
        rec.unsubscribers.add(off);
        return () => {
          off();
          rec.unsubscribers.delete(off);
        };
      },
      onUnload(hook: () => void | Promise<void>): void {
        live();
        if (typeof hook !== 'function') throw new InvalidArgumentError('hook', hook, 'a function');
        rec.hooks.push(hook);
      },
    };
    return Object.freeze(context);
  }

  // ---- which memory objects belong to which extension ----

  /**
   * Objects over pagers made through its context bindings (tracked exactly, by instance), or over an
   * instance of a class it bound raw on TOKENS.Pager or TOKENS.DefaultPager (as `useDefaultPager` does).
   */
  private objectsOfRecord(rec: Loaded): MemoryObject[] {
    const rawClasses = new Set<unknown>();
    for (const b of rec.changes.added.values()) {
      const pagerToken = b.serviceIdentifier === TOKENS.Pager || b.serviceIdentifier === TOKENS.DefaultPager;
      if (pagerToken && b.implementationType && b.onActivation !== rec.claim) rawClasses.add(b.implementationType);
    }
    return this.vm.memoryObjects().filter((o) => rec.pagers.has(o.pager) || rawClasses.has(o.pager.constructor));
  }

  private info(rec: Loaded): ExtensionInfo {
    const m = rec.manifest;
    const now = currentBindings(this.container);
    return {
      name: m.name,
      version: m.version,
      description: m.description,
      apiVersion: m.apiVersion,
      specifier: rec.specifier,
      url: rec.url,
      pagers: [...rec.pagerNames],
      defaultPager: [...rec.changes.added.values()].some((b) => b.serviceIdentifier === TOKENS.DefaultPager && now.has(b.id)),
      objects: this.objectsOfRecord(rec).length,
    };
  }

  // ---- plumbing ----

  /**
   * Runs operations one at a time, in call order. A call made from inside the running operation (an
   * activate loading another extension) would wait for itself forever: it is refused instead. Work an
   * extension leaves running past its operation (a timer set in activate) may load and unload freely.
   */
  private serialize<T>(label: string, op: () => Promise<T>): Promise<T> {
    if (isInside(this.running)) {
      return Promise.reject(new ExtensionError(label, 'reentrant', 'extensions cannot be loaded or unloaded from an activate, deactivate or unload hook of the same instance'));
    }
    const token = {};
    const run = this.queue.then(() => {
      this.running = token;
      return inside.run({ token, outer: inside.getStore() }, op).finally(() => {
        this.running = undefined;
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private checkOpen(label: string): void {
    if (this.closed) throw new ExtensionError(label, 'not-loaded', 'the instance has been destroyed');
  }
}

// ---- checks ----

function labelOf(what: unknown): string {
  const name = (what as { manifest?: { name?: unknown } } | undefined)?.manifest?.name;
  return typeof name === 'string' && name !== '' ? name : '(module object)';
}

/** The extension inside a module namespace (or its default export), checked: exports, manifest, API version. */
function checkModule(namespace: unknown, label: string): ExtensionModule {
  let mod = namespace as Partial<ExtensionModule> & { default?: unknown };
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) throw new ExtensionError(label, 'missing-export', 'it is not a module');
  if (mod.manifest === undefined && mod.activate === undefined && mod.default && typeof mod.default === 'object') mod = mod.default as typeof mod;
  if (mod.manifest === undefined) throw new ExtensionError(label, 'missing-export', "it exports no 'manifest'");
  if (typeof mod.activate !== 'function') throw new ExtensionError(label, 'missing-export', "it exports no 'activate' function");
  if (mod.deactivate !== undefined && typeof mod.deactivate !== 'function') throw new ExtensionError(label, 'missing-export', "its 'deactivate' export is not a function");
  const manifest = checkManifest(mod.manifest, label);
  return { manifest, activate: mod.activate.bind(mod), ...(mod.deactivate ? { deactivate: mod.deactivate.bind(mod) } : {}) };
}

function checkManifest(manifest: unknown, label: string): ExtensionManifest {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) throw new ExtensionError(label, 'bad-manifest', 'its manifest is not an object');
  const m = manifest as Record<string, unknown>;
  const bad = (detail: string): never => {
    throw new ExtensionError(typeof m.name === 'string' && m.name !== '' ? m.name : label, 'bad-manifest', `its manifest ${detail}`);
  };
  if (typeof m.name !== 'string' || m.name.length > 214 || !NAME.test(m.name)) bad(`name must be lower-case letters, digits, '-', '_' or '.' (optionally @scope/); got ${JSON.stringify(m.name)}`);
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
  if (!ok) throw new ExtensionError(m.name as string, 'incompatible-api', `it needs extension API ${JSON.stringify(api)}, but this spinvm provides ${EXTENSION_API_VERSION}`);
  return manifest as ExtensionManifest;
}

function checkPagerName(name: unknown, argument = 'name'): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') throw new InvalidArgumentError(argument, name, 'a non-empty string');
}

/** A Pager subclass the container can make (no constructor arguments, or `@inject` on each), or a factory. */
function checkProvider(provider: unknown): void {
  if (typeof provider !== 'function') throw new InvalidArgumentError('pager', provider, 'a Pager subclass or a function answering a Pager');
  if (isPagerClass(provider)) checkPagerClass('pager', provider);
}

function diff(before: Map<number, BindingRecord>, after: Map<number, BindingRecord>): Changes {
  const changes: Changes = { added: new Map(), displaced: new Map() };
  for (const [id, b] of after) if (!before.has(id)) changes.added.set(id, b);
  for (const [id, b] of before) if (!after.has(id)) changes.displaced.set(id, b);
  return changes;
}

/** Folds a later change into an extension's record: removing a binding it added itself just forgets it. */
function merge(into: Changes, more: Changes): void {
  for (const [id, b] of more.displaced) {
    if (into.added.has(id)) into.added.delete(id);
    else into.displaced.set(id, b);
  }
  for (const [id, b] of more.added) into.added.set(id, b);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const managers = new WeakMap<Vm, ExtensionManager>();

/** The extension manager of `vm`, made on first use (the same object every time). */
export function extensionsOf(vm: Vm): ExtensionManager {
  let manager = managers.get(vm);
  if (!manager) {
    manager = new ExtensionManager(vm);
    managers.set(vm, manager);
  }
  return manager;
}
