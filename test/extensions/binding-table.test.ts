// Pins the inversify behaviour extensions/manager/binding-table.ts relies on (its plugin API is experimental):
// a registered plugin is handed the live binding services, ids are those of inversify's public binding
// identifiers, and removing or reinstating through them acts as unbind and restore do.
import { Container, injectable, preDestroy, type BindingIdentifier } from 'inversify';
import { describe, expect, it } from 'vitest';
import { BindingTable, describeBindings } from '../../extensions/manager/binding-table.js';

const A = Symbol('a');
const B = Symbol('b');

describe('BindingTable', () => {
  it("lists the container's own bindings by the ids of their public binding identifiers, not its parent's", () => {
    const parent = new Container();
    parent.bind(B).toConstantValue('from the parent');
    const container = new Container({ parent });
    const one = container.bind(A).toConstantValue(1).getIdentifier();
    const two = container.bind(A).toConstantValue(2).whenNamed('two').getIdentifier();
    const table = BindingTable.of(container);
    expect([...table.snapshot().keys()].sort()).toEqual([one.id, two.id].sort());
    expect(table.snapshot().get(one.id)).toMatchObject({ serviceIdentifier: A, type: 'ConstantValue' });
  });

  it('registering it adds no binding, and keeps nothing: each table reads the live container', () => {
    const container = new Container();
    container.bind(A).toConstantValue(1);
    const before = describeBindings(container);
    const table = BindingTable.of(container);
    expect(describeBindings(container)).toEqual(before);
    container.bind(B).toConstantValue(2);
    expect(table.snapshot().size).toBe(2);
    container.snapshot();
    container.bind(B).toConstantValue(3);
    container.restore();
    expect(table.snapshot().size).toBe(2);
  });

  it('remove(id) removes that binding only, deactivating what it cached exactly as unbindAsync(identifier) does', async () => {
    /** A container with a kept binding and a cached singleton to remove; `gone` logs its deactivation. */
    function made(): { container: Container; kept: BindingIdentifier; removed: BindingIdentifier; gone: string[] } {
      const gone: string[] = [];
      @injectable()
      class Service {
        @preDestroy()
        close(): void {
          gone.push('preDestroy');
        }
      }
      const container = new Container();
      container.onDeactivation(A, () => void gone.push('container onDeactivation'));
      const kept = container.bind(A).toConstantValue('kept').whenNamed('kept').getIdentifier();
      const removed = container
        .bind(A)
        .to(Service)
        .inSingletonScope()
        .whenNamed('removed')
        .onDeactivation(() => void gone.push('binding onDeactivation'))
        .getIdentifier();
      expect(container.get(A, { name: 'removed' })).toBeInstanceOf(Service);
      return { container, kept, removed, gone };
    }
    const ours = made();
    const theirs = made();
    const table = BindingTable.of(ours.container);
    await table.remove(ours.removed.id);
    await theirs.container.unbindAsync(theirs.removed);
    expect(ours.gone).toEqual(theirs.gone);
    expect(ours.gone.sort()).toEqual(['binding onDeactivation', 'container onDeactivation', 'preDestroy']);
    expect(ours.container.isBound(A, { name: 'removed' })).toBe(false);
    expect(ours.container.get(A, { name: 'kept' })).toBe('kept');
    expect([...table.snapshot().keys()]).toEqual([ours.kept.id]);
  });

  it('reinstate(binding) puts back the same binding object, which resolves again', async () => {
    const container = new Container();
    container.bind(A).toConstantValue('first');
    const table = BindingTable.of(container);
    const [original] = table.snapshot().values();
    expect(container.get(A)).toBe('first');
    container.rebind(A).toConstantValue('second');
    expect(container.get(A)).toBe('second');
    const [replacement] = table.snapshot().values();
    await table.remove(replacement!.id);
    table.reinstate(original!);
    expect(container.get(A)).toBe('first');
    expect([...table.snapshot().values()]).toEqual([original]);
    expect([...table.snapshot().values()][0]).toBe(original);
  });
});
