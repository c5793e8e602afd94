import { describe, expect, it } from 'vitest';
import { ExtensionError } from '../../extensions/errors.js';
import { OperationQueue } from '../../extensions/manager/operation-queue.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('OperationQueue', () => {
  it('runs operations one at a time, in call order, past one that rejects', async () => {
    const queue = new OperationQueue();
    const log: string[] = [];
    let running = 0;
    const op =
      (name: string, fail = false) =>
      async (): Promise<string> => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([queue.run('a', op('a')), queue.run('b', op('b', true)), queue.run('c', op('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it("refuses a call from inside its running operation, also through another queue's operation", async () => {
    const a = new OperationQueue();
    const b = new OperationQueue();
    const direct = await a.run('outer', () => a.run('inner', async () => 'never')).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(ExtensionError);
    expect(direct).toMatchObject({ reason: 'reentrant', extension: 'inner' });
    const indirect = await a.run('outer', () => b.run('middle', () => a.run('inner', async () => 'never'))).catch((e: unknown) => e);
    expect(indirect).toMatchObject({ reason: 'reentrant' });
    // Another queue's operation called from inside is not refused.
    await expect(a.run('outer', () => b.run('other', async () => 'ran'))).resolves.toBe('ran');
  });

  it('work an operation leaves running after it settles may queue operations', async () => {
    const queue = new OperationQueue();
    let later: Promise<string> | undefined;
    await queue.run('starter', async () => {
      later = tick().then(() => queue.run('later', async () => 'ran'));
    });
    await expect(later).resolves.toBe('ran');
  });
});
