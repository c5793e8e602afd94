/**
 * Container keys the extension layer adds to an instance's container (vmcore's own are TOKENS). Symbols
 * from the global registry, so two copies of spinvm in one process agree on them.
 */
export const EXTENSION_TOKENS = {
  /** PolicyFactory, named: replacement policies registered by extensions (`context.bindPolicy`). */
  PolicyFactory: Symbol.for('spinvm.extensions.PolicyFactory'),
  /** ExtensionManager (a constant): the instance's extension manager, bound by the first `extensionsOf(vm)`. */
  Manager: Symbol.for('spinvm.extensions.Manager'),
} as const;
