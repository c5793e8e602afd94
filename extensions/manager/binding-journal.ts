/**
 * What one extension changed in the instance's container, so that unloading it undoes exactly that and
 * nothing else. Changes are found by comparing the container's bindings before and after (the binding
 * table), so bindings an extension makes on `container` directly, through container modules or through
 * helpers such as `useDefaultPager` are recorded as well as those made through its context.
 *
 * Invariants:
 * - `added` holds the bindings the extension made and has not removed itself; `displaced` the bindings
 *   that were there before it and that it removed (by a rebind or an unbind). A binding is in at most one
 *   of the two: removing a binding it added itself just forgets it.
 * - A displaced binding belongs to one journal at a time. When a later extension displaced what an earlier
 *   one added (two default pagers, loaded in turn), undoing the earlier hands its displaced bindings to the
 *   later, which puts them back when it goes: unloading in any order ends with what was there before either.
 * - Undo never removes what is not the extension's, and never puts back what someone else removed since.
 */
import type { ServiceIdentifier } from 'inversify';
import type { Binding, BindingTable } from './binding-table.js';
import type { Problems } from './problems.js';

export class BindingJournal {
  private readonly added = new Map<number, Binding>();
  private readonly displaced = new Map<number, Binding>();

  constructor(private readonly table: BindingTable) {}

  /** Starts watching the container: the function answered records whatever changed in between. */
  watch(): () => void {
    const before = this.table.snapshot();
    return () => this.fold(before, this.table.snapshot());
  }

  /** Runs `change` and records what it did to the container (also what it did before throwing). */
  record(change: () => void): void {
    const done = this.watch();
    try {
      change();
    } finally {
      done();
    }
  }

  /** The bindings it made (some may have been removed by others since). */
  bindings(): IterableIterator<Binding> {
    return this.added.values();
  }

  /** Whether a binding it made for `service` is in the container now. */
  holds(service: ServiceIdentifier): boolean {
    const now = this.table.snapshot();
    for (const b of this.added.values()) if (b.serviceIdentifier === service && now.has(b.id)) return true;
    return false;
  }

  /**
   * Removes the bindings it added and puts back those it displaced, service by service. `later` are the
   * journals of extensions loaded after this one (an heir is looked for among them); failures to remove
   * go to `problems` and the rest carries on.
   */
  async undo(later: readonly BindingJournal[], problems: Problems): Promise<void> {
    const services = new Set<ServiceIdentifier>();
    for (const b of [...this.added.values(), ...this.displaced.values()]) services.add(b.serviceIdentifier);
    for (const service of services) {
      const added = [...this.added.values()].filter((b) => b.serviceIdentifier === service);
      const displaced = [...this.displaced.values()].filter((b) => b.serviceIdentifier === service);
      const now = this.table.snapshot();
      const present = added.filter((b) => now.has(b.id));
      for (const b of present) await problems.attempt(() => this.table.remove(b.id));
      const heir = later.find((j) => added.some((b) => j.displaced.has(b.id)));
      if (heir) {
        for (const b of added) heir.displaced.delete(b.id);
        for (const b of displaced) heir.displaced.set(b.id, b);
      } else if (present.length > 0 || added.length === 0) {
        // Only when what it put there was still there: if someone removed it, what they did stands.
        const after = this.table.snapshot();
        for (const b of displaced) if (!after.has(b.id)) this.table.reinstate(b);
      }
    }
    this.added.clear();
    this.displaced.clear();
  }

  private fold(before: ReadonlyMap<number, Binding>, after: ReadonlyMap<number, Binding>): void {
    for (const [id, b] of before) {
      if (after.has(id)) continue;
      if (!this.added.delete(id)) this.displaced.set(id, b);
    }
    for (const [id, b] of after) if (!before.has(id)) this.added.set(id, b);
  }
}
