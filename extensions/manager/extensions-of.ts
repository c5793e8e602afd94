/**
 * The one way to an instance's extension manager. The manager lives in the instance's container, bound
 * under EXTENSION_TOKENS.Manager by the first call, so everything per instance is the container's (no table
 * on the side), and two copies of spinvm in one process find the same manager through the shared symbol.
 * vmcore knows nothing of extensions: `Vm` has no `extensions` property, and nothing patches it.
 */
import type { Vm } from '../../vmcore/index.js';
import { EXTENSION_TOKENS } from '../tokens.js';
import { ExtensionManager } from './manager.js';

/** The extension manager of `vm`, made on first use (the same object every time). */
export function extensionsOf(vm: Vm): ExtensionManager {
  const container = vm.container;
  if (!container.isCurrentBound(EXTENSION_TOKENS.Manager)) {
    container.bind<ExtensionManager>(EXTENSION_TOKENS.Manager).toConstantValue(new ExtensionManager(vm));
  }
  return container.get<ExtensionManager>(EXTENSION_TOKENS.Manager);
}
