import type { BindingIdentifier, Container, Newable, ServiceIdentifier } from 'inversify';

/**
 * Reading a container's bindings, which inversify 8 offers only to plugins (`container.register(Plugin)`
 * hands a plugin the live binding service). The two symbols are inversify's own `Symbol.for` keys, so no
 * private package is imported; the tests pin the behaviour against the locked inversify version.
 */
const IS_PLUGIN = Symbol.for('@inversifyjs/plugin/isPlugin');
const BINDING_IDENTIFIER = Symbol.for('@inversifyjs/container/bindingIdentifier');

/** The fields of an inversify binding this module reads. */
export interface BindingRecord {
  readonly id: number;
  readonly moduleId: number | undefined;
  readonly serviceIdentifier: ServiceIdentifier;
  readonly type: string;
  readonly scope?: string;
  readonly implementationType?: Newable;
  readonly value?: unknown;
  readonly factory?: unknown;
  readonly onActivation?: unknown;
}

interface BindingService {
  getNonParentBoundServices(): Iterable<ServiceIdentifier>;
  getNonParentBindings(serviceId: ServiceIdentifier): Iterable<BindingRecord> | undefined;
  set(binding: BindingRecord): void;
}

interface PluginContext {
  readonly bindingService: BindingService;
  readonly planResultCacheService: { clearCache(): void };
}

const contexts = new WeakMap<Container, PluginContext>();

function pluginContext(container: Container): PluginContext {
  let context = contexts.get(container);
  if (context) return context;
  let captured: PluginContext | undefined;
  class BindingInspector {
    readonly [IS_PLUGIN] = true;
    constructor(_container: Container, ctx: PluginContext) {
      captured = ctx;
    }
    load(): void {}
  }
  container.register(BindingInspector as unknown as Newable);
  if (!captured || typeof captured.bindingService?.getNonParentBindings !== 'function') {
    throw new Error('this version of inversify does not let a plugin read bindings');
  }
  context = captured;
  contexts.set(container, context);
  return context;
}

/** Every binding of the container itself (not its parents), by binding id. */
export function currentBindings(container: Container): Map<number, BindingRecord> {
  const service = pluginContext(container).bindingService;
  const out = new Map<number, BindingRecord>();
  for (const id of service.getNonParentBoundServices()) {
    for (const binding of service.getNonParentBindings(id) ?? []) out.set(binding.id, binding);
  }
  return out;
}

/** A plain description of one binding, for comparing containers and for messages. */
export interface BindingDescription {
  id: number;
  service: string;
  type: string;
  scope: string | undefined;
  /** The class, constant or factory the binding resolves through. */
  target: unknown;
}

/** Every binding of `container`, in id order: two equal lists mean the same bindings to the same things. */
export function describeBindings(container: Container): BindingDescription[] {
  return [...currentBindings(container).values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({
      id: b.id,
      service: typeof b.serviceIdentifier === 'function' ? b.serviceIdentifier.name : String(b.serviceIdentifier),
      type: b.type,
      scope: b.scope,
      target: b.implementationType ?? b.value ?? b.factory,
    }));
}

/** Removes one binding (running its deactivation), by id. */
export async function unbindById(container: Container, id: number): Promise<void> {
  const identifier = { [BINDING_IDENTIFIER]: true, id } as unknown as BindingIdentifier;
  await container.unbindAsync(identifier);
}

/** Puts back a binding removed earlier, the same object with the same id and cache, as `container.restore()` would. */
export function reinstateBinding(container: Container, binding: BindingRecord): void {
  const context = pluginContext(container);
  context.bindingService.set(binding);
  context.planResultCacheService.clearCache();
}
