import { SpinVmError } from '../vmcore/index.js';

/** Why an extension could not be loaded, unloaded or configured. */
export type ExtensionErrorReason =
  /** The specifier names no file or installed package. */
  | 'not-found'
  /** The module was found but threw (or failed to parse) while it was imported. */
  | 'import-failed'
  /** The module lacks `manifest` or `activate`, or `deactivate` is not a function. */
  | 'missing-export'
  /** The manifest is not an object with a valid name, version, apiVersion and description. */
  | 'bad-manifest'
  /** The manifest's apiVersion does not accept this spinvm's EXTENSION_API_VERSION. */
  | 'incompatible-api'
  /** An extension of that name is loaded already. */
  | 'already-loaded'
  /** `activate` threw or rejected, or left the container in a state that cannot be undone. */
  | 'activate-failed'
  /** No extension of that name is loaded (or its context was used after it was unloaded). */
  | 'not-loaded'
  /** Memory objects made with its pagers are alive: unload with `{ force: true }` to flush and destroy them. */
  | 'in-use'
  /** `deactivate` or an unload hook threw; the extension was unloaded all the same. */
  | 'deactivate-failed'
  /** An extension tried to load or unload extensions from its own activate or deactivate. */
  | 'reentrant'
  /** The configuration file or the `spinvm` key of package.json is malformed. */
  | 'bad-config';

/** Every failure of the extension layer: `extension` names it (or its specifier, before its manifest is read). */
export class ExtensionError extends SpinVmError {
  override readonly code = 'SPINVM_EXTENSION';
  constructor(
    readonly extension: string,
    readonly reason: ExtensionErrorReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`extension '${extension}': ${detail}${options?.cause !== undefined ? `: ${causeText(options.cause)}` : ''}`, options);
  }
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
