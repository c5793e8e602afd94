import type { Pager } from '../vmcore/index.js';
import type { PagerCapabilities } from './target.js';

// The kit recognises pagers by what they are, never with `instanceof`: the module under test may have loaded
// its own copy of spinvm (a `file:` link, `npm link`), whose Pager class is another object. A pager carries
// spinvm's brand, `Symbol.for('spinvm.Pager')` (the same symbol in every copy); a pager from a spinvm too old
// to carry it is recognised by its shape.

/** spinvm's pager brand: the same symbol in every copy of spinvm a process loads. */
export const PAGER_BRAND_KEY: symbol = Symbol.for('spinvm.Pager');

const METHODS = ['init', 'pageIn', 'pageOut', 'destroy'] as const;

/** A Pager subclass as the kit uses it: constructible, maybe with a static `capabilities`. */
export type PagerClass = (new (...args: never[]) => Pager) & { capabilities?: PagerCapabilities };

function branded(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return (value as Record<symbol, unknown>)[PAGER_BRAND_KEY] === true;
  } catch {
    return false;
  }
}

function hasMethods(value: object): boolean {
  const v = value as Record<string, unknown>;
  return METHODS.every((m) => typeof v[m] === 'function');
}

/** Whether `value` is a pager (an instance), from this copy of spinvm or another one. */
export function isPagerInstance(value: unknown): value is Pager {
  if (value === null || typeof value !== 'object') return false;
  return branded(value) || hasMethods(value);
}

/** Whether `value` is a pager class: branded (on the class or its prototype) or shaped like one. */
export function isPagerClass(value: unknown): value is PagerClass {
  if (typeof value !== 'function') return false;
  const proto = (value as { prototype?: unknown }).prototype;
  if (proto === null || typeof proto !== 'object') return false; // arrow functions and methods have none
  return branded(value) || branded(proto) || hasMethods(proto);
}

/**
 * Whether `value` is spinvm's own abstract Pager (of any copy) rather than a pager someone wrote: the class
 * that owns the brand, or a class named Pager that extends nothing.
 */
export function isBasePagerClass(value: unknown): boolean {
  if (!isPagerClass(value)) return false;
  if (Object.prototype.hasOwnProperty.call(value.prototype, PAGER_BRAND_KEY) || Object.prototype.hasOwnProperty.call(value, PAGER_BRAND_KEY)) return true;
  return value.name === 'Pager' && Object.getPrototypeOf(value) === Function.prototype;
}
