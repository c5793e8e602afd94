/**
 * The context handed to an extension's `activate` and `deactivate`: the instance, its container, and the
 * registrations that are undone when the extension goes. Every argument is checked before the container
 * changes; every change is recorded in the extension's binding journal (while activating, the manager
 * watches the whole activation instead); and a context used after its extension is gone throws.
 */
import type { ContainerModule } from 'inversify';
import {
  checkPagerClass,
  InvalidArgumentError,
  isPagerClass,
  TOKENS,
  type CacheFactory,
  type EventName,
  type Listener,
  type Pager,
  type PolicyFactory,
  type Vm,
} from '../../vmcore/index.js';
import type { ExtensionContext, PagerProvider } from '../api.js';
import { ExtensionError } from '../errors.js';
import type { LoadedExtension } from './loaded-extension.js';

export function makeContext(vm: Vm, ext: LoadedExtension, options: unknown): ExtensionContext {
  const container = vm.container;
  const { ownership, journal } = ext;
  const live = (): void => {
    if (ext.state === 'gone') throw new ExtensionError(ext.name, 'not-loaded', 'its context was used after it was unloaded');
  };
  const track = (change: () => void): void => {
    live();
    if (ext.state === 'activating') change();
    else journal.record(change);
  };
  const context: ExtensionContext = {
    vm,
    container,
    manifest: ext.manifest,
    options,
    bindPager(name: string, provider: PagerProvider): void {
      checkName(name);
      checkProvider(provider);
      track(() => {
        if (container.isBound(TOKENS.Pager, { name })) throw new InvalidArgumentError('name', name, 'a pager name not registered yet');
        const bind = container.bind<Pager>(TOKENS.Pager);
        if (isPagerClass(provider)) bind.to(provider).inTransientScope().whenNamed(name).onActivation(ownership.claim);
        else
          bind
            .toDynamicValue(() => ownership.own(provider()))
            .inTransientScope()
            .whenNamed(name);
      });
      ext.pagerNames.push(name);
    },
    setDefaultPager(provider: PagerProvider): void {
      checkProvider(provider);
      track(() => {
        const rebind = container.rebind<Pager>(TOKENS.DefaultPager);
        if (isPagerClass(provider)) rebind.to(provider).inTransientScope().onActivation(ownership.claim);
        else rebind.toDynamicValue(() => ownership.own(provider())).inTransientScope();
      });
    },
    setCacheFactory(factory: CacheFactory): void {
      if (typeof factory !== 'function') throw new InvalidArgumentError('factory', factory, 'a function answering a Cache');
      track(() => void container.rebind<CacheFactory>(TOKENS.CacheFactory).toConstantValue(factory));
    },
    bindPolicy(name: string, factory: PolicyFactory): void {
      checkName(name);
      if (typeof factory !== 'function') throw new InvalidArgumentError('factory', factory, 'a function answering a ReplacementPolicy');
      track(() => {
        if (container.isBound(TOKENS.PolicyFactory, { name })) throw new InvalidArgumentError('name', name, 'a policy name not registered yet');
        container.bind<PolicyFactory>(TOKENS.PolicyFactory).toConstantValue(factory).whenNamed(name);
      });
    },
    load(...modules: ContainerModule[]): void {
      track(() => container.load(...modules));
    },
    on<K extends EventName>(event: K, listener: Listener<K>): () => void {
      live();
      const off = vm.on(event, listener);
      ext.unsubscribers.add(off);
      return () => {
        off();
        ext.unsubscribers.delete(off);
      };
    },
    onUnload(hook: () => void | Promise<void>): void {
      live();
      if (typeof hook !== 'function') throw new InvalidArgumentError('hook', hook, 'a function');
      ext.hooks.push(hook);
    },
  };
  return Object.freeze(context);
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') throw new InvalidArgumentError('name', name, 'a non-empty string');
}

/** A Pager subclass the container can make (no constructor arguments, or `@inject` on each), or a factory. */
function checkProvider(provider: unknown): void {
  if (typeof provider !== 'function') throw new InvalidArgumentError('pager', provider, 'a Pager subclass or a function answering a Pager');
  if (isPagerClass(provider)) checkPagerClass('pager', provider);
}
