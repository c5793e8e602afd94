import { describe, expect, it } from 'vitest';
import { createVm, InvalidArgumentError } from '../../index.js';

/** An error that names a function or a class prints its name and kind, never its source code. */
describe('errors that name a class or a function', () => {
  class MapPager {
    readonly secret = 'the body of the class';
    pageIn(): number {
      return 0;
    }
  }
  function makePager(): MapPager {
    return new MapPager();
  }

  it.each([
    [MapPager, 'class MapPager'],
    [makePager, 'function makePager'],
    [async function load() {}, 'async function load'],
    [() => 1, 'function (anonymous)'],
    [Math.max, 'function max'],
    [class {}, 'class (anonymous)'],
  ])('%#: %s', (value, text) => {
    const err = new InvalidArgumentError('pager', value, 'a Pager instance');
    expect(err.message).toBe(`pager must be a Pager instance; got ${text}`);
    expect(err.message).not.toMatch(/body|return|=>|\{/);
  });

  it('a revoked proxy of a function still describes', () => {
    const { proxy, revoke } = Proxy.revocable(function named() {}, {});
    revoke();
    expect(new InvalidArgumentError('x', proxy, 'y').message).toBe('x must be y; got function (anonymous)');
  });

  it('through the API: a class passed for bytes', async () => {
    const vm = createVm({ frames: 4 });
    const object = vm.createMemoryObject({ size: 4096 });
    await expect(object.write(0, MapPager as never)).rejects.toThrow(/got class MapPager$/);
    await vm.destroy();
  });
});
