// Runtime extensions: modules that bring pagers, caches, policies and event handlers to an instance.
// The layer's interface: what extension authors write against, the manager (reached through
// `extensionsOf(vm)`), start-up configuration, and the layer's container keys and error.
export { EXTENSION_API_VERSION, type ExtensionContext, type ExtensionManifest, type ExtensionModule, type PagerProvider } from './api.js';
export { ExtensionError, type ExtensionErrorReason } from './errors.js';
export { extensionsOf } from './manager/extensions-of.js';
export type { ExtensionManager, ExtensionInfo, LoadOptions, UnloadOptions, UnloadReport } from './manager/manager.js';
export {
  EXTENSION_CONFIG_FILE,
  loadConfiguredExtensions,
  readExtensionConfig,
  takeExtensionFlags,
  type ExtensionEntry,
  type LoadConfiguredOptions,
} from './config.js';

// For the command line, not for users: `spinvm conformance <module>` finds a pager module as extensions are found.
/** @internal */
export { ModuleNotFoundError, resolveModule } from './resolve.js';
