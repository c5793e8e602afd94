import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { BindingJournal } from '../../extensions/manager/binding-journal.js';
import { BindingTable } from '../../extensions/manager/binding-table.js';
import { Problems } from '../../extensions/manager/problems.js';

const X = Symbol('x');
const Y = Symbol('y');

function setUp(): { container: Container; table: BindingTable; journal: () => BindingJournal } {
  const container = new Container();
  container.bind(X).toConstantValue('original');
  const table = BindingTable.of(container);
  return { container, table, journal: () => new BindingJournal(table) };
}

describe('BindingJournal', () => {
  it('records what a change added and displaced, and undo puts the container back, the same binding objects', async () => {
    const { container, table, journal } = setUp();
    const before = [...table.snapshot().values()];
    const j = journal();
    j.record(() => {
      container.rebind(X).toConstantValue('replaced');
      container.bind(Y).toConstantValue('new');
    });
    expect([...j.bindings()].map((b) => b.serviceIdentifier)).toEqual([X, Y]);
    expect(j.holds(X)).toBe(true);
    const problems = new Problems();
    await j.undo([], problems);
    expect(problems.errors).toEqual([]);
    expect(container.get(X)).toBe('original');
    expect(container.isBound(Y)).toBe(false);
    expect([...table.snapshot().values()]).toEqual(before);
    expect([...table.snapshot().values()][0]).toBe(before[0]);
  });

  it('removing a binding it added itself forgets it; a change that throws is recorded up to the throw', async () => {
    const { container, journal } = setUp();
    const j = journal();
    j.record(() => void container.bind(Y).toConstantValue(1));
    j.record(() => container.unbind(Y));
    expect([...j.bindings()]).toEqual([]);
    expect(() =>
      j.record(() => {
        container.bind(Y).toConstantValue(2);
        throw new Error('half done');
      }),
    ).toThrow('half done');
    expect(j.holds(Y)).toBe(true);
    await j.undo([], new Problems());
    expect(container.isBound(Y)).toBe(false);
  });

  for (const order of [
    ['first', 'second'],
    ['second', 'first'],
  ] as const) {
    it(`two journals replacing the same binding, undone ${order.join(' then ')}: the later inherits, the original comes back`, async () => {
      const { container, journal } = setUp();
      const journals = { first: journal(), second: journal() };
      journals.first.record(() => void container.rebind(X).toConstantValue('first'));
      journals.second.record(() => void container.rebind(X).toConstantValue('second'));
      const undo = (name: 'first' | 'second'): Promise<void> => journals[name].undo(name === 'first' ? [journals.second] : [], new Problems());
      await undo(order[0]);
      expect(container.get(X)).toBe(order[0] === 'first' ? 'second' : 'first');
      await undo(order[1]);
      expect(container.get(X)).toBe('original');
    });
  }

  it('what someone else did since stands: its binding replaced by another hand is not put back over', async () => {
    const { container, journal } = setUp();
    const j = journal();
    j.record(() => void container.rebind(X).toConstantValue('journaled'));
    container.rebind(X).toConstantValue('by hand');
    expect(j.holds(X)).toBe(false);
    await j.undo([], new Problems());
    expect(container.get(X)).toBe('by hand');
  });
});
