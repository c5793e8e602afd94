// Runtime extensions: modules that bring pagers, caches, policies and event handlers to an instance.
import { Vm } from '../vmcore/vm/vm.js';
import { extensionsOf, type ExtensionManager } from './manager.js';

export { EXTENSION_API_VERSION, EXTENSION_TOKENS, type ExtensionContext, type ExtensionManifest, type ExtensionModule, type PagerProvider } from './api.js';
export { ExtensionError, type ExtensionErrorReason } from './errors.js';
export { ExtensionManager, extensionsOf, type ExtensionInfo, type LoadOptions, type UnloadOptions, type UnloadReport } from './manager.js';
export { EXTENSION_CONFIG_FILE, loadConfiguredExtensions, readExtensionConfig, takeExtensionFlags, type ExtensionEntry, type LoadConfiguredOptions } from './config.js';
export { describeBindings, type BindingDescription } from './bindings.js';

declare module '../vmcore/vm/vm.js' {
  interface Vm {
    /** The instance's extension manager (the same as `extensionsOf(vm)`). */
    readonly extensions: ExtensionManager;
  }
}

// `vm.extensions` without vmcore depending on this layer: the getter is installed when extensions are imported.
if (!Object.getOwnPropertyDescriptor(Vm.prototype, 'extensions')) {
  Object.defineProperty(Vm.prototype, 'extensions', {
    configurable: true,
    get(this: Vm): ExtensionManager {
      return extensionsOf(this);
    },
  });
}
