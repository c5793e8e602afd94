import type { Newable } from 'inversify';
import { InvalidArgumentError } from '../errors.js';
import { PAGER_BRAND, type Pager } from './pager.js';

// Pagers are recognised by their brand, never with `instanceof`: an extension package that depends on
// spinvm through a `file:` link or `npm link` loads its own copy, whose Pager class is another object.

/** inversify's own key for a class whose constructor parameters were declared with `@inject`. */
const INJECTED_PARAMETERS = '@inversifyjs/core/classMetadataReflectKey';

/** Whether `value` is a pager, from this copy of spinvm or another one. */
export function isPager(value: unknown): value is Pager {
  return typeof value === 'object' && value !== null && (value as { [PAGER_BRAND]?: unknown })[PAGER_BRAND] === true;
}

/** Whether `value` is a Pager subclass (not Pager itself), from this copy of spinvm or another one. */
export function isPagerClass(value: unknown): value is Newable<Pager> {
  if (typeof value !== 'function') return false;
  const proto = (value as { prototype?: unknown }).prototype;
  // The brand lives on Pager.prototype itself: a subclass inherits it, the base class owns it.
  return typeof proto === 'object' && proto !== null && (proto as { [PAGER_BRAND]?: unknown })[PAGER_BRAND] === true && !Object.hasOwn(proto, PAGER_BRAND);
}

/** A pager about to serve an object: branded, with a pageIn (plain JavaScript can leave it out). */
export function checkPager(argument: string, value: unknown): Pager {
  if (!isPager(value)) throw new InvalidArgumentError(argument, value, 'an instance of a Pager subclass (or of definePager)');
  if (typeof value.pageIn !== 'function') {
    throw new InvalidArgumentError(argument, value, `a pager with a pageIn method: ${value.constructor.name} has no pageIn(page, frame, access)`);
  }
  return value;
}

/**
 * A Pager subclass the container can make. Its constructor must take no arguments, or declare each one
 * with `@inject(TOKEN)` (TypeScript only); otherwise the caller is told to register a factory, which plain
 * JavaScript can always write: `() => new MapPager(options)`.
 */
export function checkPagerClass(argument: string, value: unknown): Newable<Pager> {
  if (!isPagerClass(value)) throw new InvalidArgumentError(argument, value, 'a Pager subclass');
  if (value.length > 0 && !Reflect.hasOwnMetadata?.(INJECTED_PARAMETERS, value)) {
    const n = value.length;
    throw new InvalidArgumentError(
      argument,
      value,
      `a Pager subclass whose constructor takes no arguments; ${value.name}'s takes ${n}. Register a factory instead: () => new ${value.name}(...)`,
    );
  }
  return value;
}
