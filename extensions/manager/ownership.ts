/**
 * Which memory objects belong to an extension. A memory object belongs to it when its pager was made by a
 * binding the extension's context registered (claimed one by one, as each pager is made), or is an
 * instance of a class the extension bound raw on TOKENS.Pager or TOKENS.DefaultPager (as
 * `useDefaultPager` does). A pager instance handed to `createMemoryObject` directly belongs to nobody,
 * even if it is of an extension's class. Objects that belong to an extension keep it loaded: unload
 * refuses while they live, or flushes and destroys them when forced.
 */
import { isPager, TOKENS, type MemoryObject, type Pager, type Vm } from '../../vmcore/index.js';
import type { Binding } from './binding-table.js';

export class Ownership {
  /** Weak: a pager that is gone no longer keeps anything loaded. */
  private readonly pagers = new WeakSet<Pager>();

  /** The activation handler of the extension's pager class bindings: claims each pager they make. */
  readonly claim = (_context: unknown, pager: Pager): Pager => {
    if (isPager(pager)) this.pagers.add(pager);
    return pager;
  };

  /** Claims a pager its factory made. */
  own(pager: unknown): Pager {
    return this.claim(undefined, pager as Pager);
  }

  /** The live objects of `vm` that belong to the extension, given the bindings it made. */
  objects(vm: Vm, bindings: Iterable<Binding>): MemoryObject[] {
    const rawClasses = new Set<unknown>();
    for (const b of bindings) {
      const pagerToken = b.serviceIdentifier === TOKENS.Pager || b.serviceIdentifier === TOKENS.DefaultPager;
      if (pagerToken && 'implementationType' in b && b.onActivation !== this.claim) rawClasses.add(b.implementationType);
    }
    return vm.memoryObjects().filter((o) => this.pagers.has(o.pager) || rawClasses.has(o.pager.constructor));
  }
}
