/**
 * The one way to an instance's extension manager. The manager lives in the instance's container, bound
 * under TOKENS.ExtensionManager by the first call, so everything per instance is the container's (no table
 * on the side), and two copies of spinvm in one process find the same manager through the shared symbol.
 * vmcore knows nothing of extensions: `Vm` has no `extensions` property, and nothing patches it.
 */
import type { Vm } from '../../vmcore/index.js';
import { TOKENS } from '../../vmcore/index.js';
import { ExtensionManager } from './manager.js';

/** The extension manager of `vm`, made on first use (the same object every time). */
export function extensionsOf(vm: Vm): ExtensionManager {
  const container = vm.container;
  if (!container.isCurrentBound(TOKENS.ExtensionManager)) {
    container.bind<ExtensionManager>(TOKENS.ExtensionManager).toConstantValue(new ExtensionManager(vm));
  }
  return container.get<ExtensionManager>(TOKENS.ExtensionManager);
}
