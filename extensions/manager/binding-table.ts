/**
 * The container's table of bindings, read and written through inversify's plugin API: a plugin class
 * (extending `Plugin` from `@inversifyjs/plugin`) registered with `container.register` is handed the
 * container's live binding, deactivation and plan-cache services. That is the only public way inversify 8
 * offers to list a container's bindings, which the binding journal needs to see what an extension bound
 * directly on the container; `container.unbind` takes a binding id only inside a `BindingIdentifier`,
 * which only the fluent syntax of the binding's own maker hands out.
 *
 * Pinned: written against inversify 8.2.3, whose @inversifyjs/container 3.1.3 depends on
 * @inversifyjs/plugin 0.3.1 and @inversifyjs/core 15.0.1; inversify calls plugins experimental, so these
 * versions move together and test/extensions/binding-table.test.ts pins the behaviour this file relies on.
 *
 * Nothing is cached per container: registering the plugin keeps no reference to it, and every plugin of a
 * container is handed the same context object, so `BindingTable.of(container)` is cheap and stateless.
 */
import { getClassMetadata, resolveBindingsDeactivations, type Binding, type DeactivationParams } from '@inversifyjs/core';
import { Plugin, type PluginContext } from '@inversifyjs/plugin';
import type { Container } from 'inversify';

export type { Binding };

export class BindingTable {
  private constructor(private readonly services: PluginContext) {}

  /** The table of `container`, through a plugin registered for the purpose. */
  static of(container: Container): BindingTable {
    let services: PluginContext | undefined;
    container.register(
      class TableReader extends Plugin<Container> {
        load(): void {
          services = this._context;
        }
      },
    );
    if (!services) throw new Error('this version of inversify did not load a registered plugin');
    return new BindingTable(services);
  }

  /** Every binding of the container itself (not its parents), by binding id. */
  snapshot(): Map<number, Binding> {
    // Read through the context each time: `container.restore()` swaps the services it answers.
    const bindings = this.services.bindingService;
    const out = new Map<number, Binding>();
    for (const service of bindings.getNonParentBoundServices()) {
      for (const binding of bindings.getNonParentBindings(service) ?? []) out.set(binding.id, binding);
    }
    return out;
  }

  /** Removes one binding by id, as `container.unbindAsync` would: deactivates what it cached, then forgets it. */
  async remove(id: number): Promise<void> {
    const bindings = this.services.bindingService.getById(id);
    await resolveBindingsDeactivations(this.deactivationParams(), bindings);
    this.services.bindingService.removeById(id);
    this.services.planResultCacheService.clearCache();
  }

  /** Puts back a binding removed earlier: the same object, with its id and cache, as `container.restore()` would. */
  reinstate(binding: Binding): void {
    this.services.bindingService.set(binding);
    this.services.planResultCacheService.clearCache();
  }

  private deactivationParams(): DeactivationParams {
    const { bindingService, deactivationService } = this.services;
    return {
      getBindings: (service) => bindingService.get(service),
      getBindingsFromModule: (moduleId) => bindingService.getByModuleId(moduleId),
      getClassMetadata,
      getDeactivations: (service) => deactivationService.get(service),
    };
  }
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
  return [...BindingTable.of(container).snapshot().values()]
    .sort((a, b) => a.id - b.id)
    .map((binding) => {
      // The fields some kinds of binding have and others lack.
      const b = binding as Binding & { scope?: string; implementationType?: unknown; value?: unknown; factory?: unknown };
      return {
        id: b.id,
        service: typeof b.serviceIdentifier === 'function' ? b.serviceIdentifier.name : String(b.serviceIdentifier),
        type: b.type,
        scope: b.scope,
        target: b.implementationType ?? b.value ?? b.factory,
      };
    });
}
