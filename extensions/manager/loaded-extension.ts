/**
 * One loaded (or loading) extension: what it is, and everything it registered, kept so it can be undone.
 *
 * Its life: activating → active → retiring → gone, or activating → gone when `activate` fails. Its context
 * works in every state but gone (so unload hooks may still use it; the hooks of a failed activate may not). While activating, the manager watches the whole activation at once;
 * afterwards, each change made through the context is recorded in the journal as it happens.
 */
import type { ExtensionContext, ExtensionManifest, ExtensionModule } from '../api.js';
import { ExtensionError } from '../errors.js';
import { BindingJournal } from './binding-journal.js';
import type { BindingTable } from './binding-table.js';
import { Ownership } from './ownership.js';
import type { Problems } from './problems.js';

export type ExtensionState = 'activating' | 'active' | 'retiring' | 'gone';

export class LoadedExtension {
  state: ExtensionState = 'activating';
  /** Its container changes. */
  readonly journal: BindingJournal;
  /** The pagers, hence the memory objects, that are its. */
  readonly ownership = new Ownership();
  /** Pager names it registered with `bindPager`, in order. */
  readonly pagerNames: string[] = [];
  readonly unsubscribers = new Set<() => void>();
  readonly hooks: Array<() => void | Promise<void>> = [];
  /** Made once the record exists (the context needs it); set by the manager before `activate`. */
  context!: ExtensionContext;

  constructor(
    /** Load order within its instance: the journals of higher ones are heirs to what this one displaced. */
    readonly seq: number,
    readonly module: ExtensionModule,
    readonly manifest: Readonly<ExtensionManifest>,
    /** The specifier it was loaded from (undefined when a module object was given). */
    readonly specifier: string | undefined,
    /** The file URL it was imported from. */
    readonly url: string | undefined,
    table: BindingTable,
  ) {
    this.journal = new BindingJournal(table);
  }

  get name(): string {
    return this.manifest.name;
  }

  /** Runs `deactivate`, then the unload hooks, and drops its subscriptions: everything but the container. */
  async retire(problems: Problems): Promise<void> {
    this.state = 'retiring';
    const { module, context } = this;
    if (module.deactivate) {
      await problems.attempt(
        () => module.deactivate!(context),
        (err) => new ExtensionError(this.name, 'deactivate-failed', 'deactivate threw; the extension is unloaded all the same', { cause: err }),
      );
    }
    await this.endActivity(problems);
    this.state = 'gone';
  }

  /** After a failed `activate`: gone at once (its context is dead to its hooks), then hooks and subscriptions. */
  async abandon(problems: Problems): Promise<void> {
    this.state = 'gone';
    await this.endActivity(problems);
  }

  /** Unload hooks, most recent first, then the event subscriptions. */
  private async endActivity(problems: Problems): Promise<void> {
    for (const hook of this.hooks.splice(0).reverse()) {
      await problems.attempt(hook, (err) => new ExtensionError(this.name, 'deactivate-failed', 'an unload hook threw', { cause: err }));
    }
    for (const off of this.unsubscribers) off();
    this.unsubscribers.clear();
  }
}
