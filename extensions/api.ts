// What an extension author writes against: the manifest, the module's shape and the context `activate` gets.
import type { Container, ContainerModule, Newable } from 'inversify';
import type { CacheFactory, EventName, Listener, Pager, PolicyFactory, Vm } from '../vmcore/index.js';

/**
 * The version of the extension API this spinvm provides. A manifest's `apiVersion` is a semver range it
 * must satisfy (`'^1.0.0'`, `'>=1 <3'`) or an integer naming its major version (`1`). The major version
 * changes when an extension written for the previous one could break.
 */
export const EXTENSION_API_VERSION = '1.0.0';

/** What an extension says about itself: checked before anything of it runs. */
export interface ExtensionManifest {
  /** Unique within an instance: lower-case letters, digits, `-`, `_`, `.`, optionally `@scope/`. */
  name: string;
  /** The extension's own version (semver). */
  version: string;
  /** The extension API it needs: a semver range, or an integer major version. */
  apiVersion: string | number;
  /** One line on what it brings. */
  description: string;
}

/** A pager an extension registers: a Pager subclass (made by the container, so it may `@inject`) or a factory. */
export type PagerProvider = Newable<Pager> | (() => Pager);

/**
 * What `activate` and `deactivate` get. Everything registered through it is undone when the extension is
 * unloaded (or when activation fails): bindings, default pager, cache factory, event subscriptions, hooks.
 * Bindings made on `container` directly while `activate` runs are undone too (the manager compares the
 * container's bindings before and after); container-level `onActivation` handlers are not: use bindings.
 */
export interface ExtensionContext {
  /** The instance the extension is loaded into. */
  readonly vm: Vm;
  /** The instance's container (the same as `vm.container`). */
  readonly container: Container;
  readonly manifest: Readonly<ExtensionManifest>;
  /** The options given to `load(specifier, { options })` or in the configuration file's entry. */
  readonly options: unknown;
  /** Registers a pager by name: `vm.createMemoryObject({ size, pager: name })` then makes a fresh one. */
  bindPager(name: string, pager: PagerProvider): void;
  /** Makes memory objects created without a pager use this one (replacing the bogopager, as SPIN's default pager did). */
  setDefaultPager(pager: PagerProvider): void;
  /** Replaces the cache object factory for memory objects created afterwards. */
  setCacheFactory(factory: CacheFactory): void;
  /**
   * Registers a replacement policy by name (`TOKENS.PolicyFactory`, named). An instance's own
   * policy is fixed when it is made; registered policies are for instances made afterwards and for tools.
   */
  bindPolicy(name: string, factory: PolicyFactory): void;
  /** Loads container modules: anything else the extension provides. */
  load(...modules: ContainerModule[]): void;
  /** Subscribes to the instance's events (the same events as `vm.on`); unsubscribed when the extension is unloaded. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void;
  /** Runs `hook` when the extension is unloaded (or its activation fails), after `deactivate`, most recent first. */
  onUnload(hook: () => void | Promise<void>): void;
}

/** The shape of an extension module. */
export interface ExtensionModule {
  manifest: ExtensionManifest;
  activate(context: ExtensionContext): void | Promise<void>;
  deactivate?(context: ExtensionContext): void | Promise<void>;
}
