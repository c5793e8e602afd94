// The pager author's path as a stranger walks it: a pager made against another copy of spinvm, a pager
// without a class, a pager class with constructor options, and extensions loaded relative to the caller.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtensionError, extensionsOf, type ExtensionModule } from '../../extensions/index.js';
import { createVm, definePager, InvalidArgumentError, isPager, Pager, ResultCode, type PagerContext } from '../../index.js';
import { isPagerClass } from '../../vmcore/index.js';
import { PS, smallVm } from '../helpers/small.js';

/** A second copy of vmcore, as an extension package with its own node_modules/spinvm would load. */
const COPY = join(import.meta.dirname, `../.spinvm-tmp-copy-${process.pid}`);
let Other: { Pager: typeof Pager; ResultCode: typeof ResultCode };

beforeAll(async () => {
  cpSync(join(import.meta.dirname, '../../vmcore'), join(COPY, 'vmcore'), { recursive: true });
  Other = (await import(pathToFileURL(join(COPY, 'vmcore/index.ts')).href)) as typeof Other;
});
afterAll(() => rmSync(COPY, { recursive: true, force: true }));

/** The README's map pager, written against the other copy. */
function mapPagerOf(Base: typeof Pager) {
  return class MapPager extends Base {
    readonly store = new Map<number, Uint8Array>();
    override pageIn(page: number, frame: Uint8Array): ResultCode {
      const saved = this.store.get(page);
      if (saved) frame.set(saved);
      else frame.fill(0);
      return ResultCode.Success;
    }
    override pageOut(page: number, frame: Uint8Array): ResultCode {
      this.store.set(page, frame.slice());
      return ResultCode.Success;
    }
  };
}

describe('two copies of spinvm', () => {
  it('the copies really are two', () => {
    expect(Other.Pager).not.toBe(Pager);
  });

  it('a pager instance from the other copy serves a memory object, through eviction', async () => {
    const MapPager = mapPagerOf(Other.Pager);
    expect(isPager(new MapPager())).toBe(true);
    expect(isPagerClass(MapPager)).toBe(true);
    const vm = smallVm({ frames: 1 });
    const obj = vm.createMemoryObject({ size: 4 * PS, pager: new MapPager() });
    for (let p = 0; p < 4; p++) await obj.write(p * PS, new Uint8Array([p + 1]));
    for (let p = 0; p < 4; p++) expect((await obj.read(p * PS, 1))[0]).toBe(p + 1);
    await vm.destroy();
  });

  it("an extension binding the other copy's pager class by name: createMemoryObject({ pager: 'map' })", async () => {
    const MapPager = mapPagerOf(Other.Pager);
    const ext: ExtensionModule = {
      manifest: { name: 'map', version: '1.0.0', apiVersion: '^1.0.0', description: 'pages in a Map' },
      activate(ctx) {
        ctx.bindPager('map', MapPager);
      },
    };
    const vm = smallVm({ frames: 2 });
    await extensionsOf(vm).load(ext);
    const obj = vm.createMemoryObject({ size: PS, pager: 'map' });
    expect(obj.pager).toBeInstanceOf(MapPager);
    await obj.write(0, new Uint8Array([9]));
    expect(extensionsOf(vm).objectsOf('map')).toEqual([obj]);
    await vm.destroy();
  });

  it('Pager itself, of either copy, is not a pager class', () => {
    expect(isPagerClass(Pager)).toBe(false);
    expect(isPagerClass(Other.Pager)).toBe(false);
    expect(isPager({ pageIn() {} })).toBe(false);
  });
});

describe('definePager: a pager without a class', () => {
  it('pages in and out through plain functions, and gets the context', async () => {
    const store = new Map<number, Uint8Array>();
    let context: PagerContext | undefined;
    const pager = definePager({
      init(c) {
        context = c;
      },
      pageIn(page, frame) {
        frame.set(store.get(page) ?? new Uint8Array(frame.length));
        return ResultCode.Success;
      },
      pageOut(page, frame) {
        store.set(page, frame.slice());
        return ResultCode.Success;
      },
    });
    const vm = smallVm({ frames: 1 });
    const obj = vm.createMemoryObject({ size: 3 * PS, pager, name: 'defined' });
    expect(context).toMatchObject({ pageSize: PS, size: 3 * PS, pageCount: 3, name: 'defined' });
    await obj.write(0, new Uint8Array([1, 2]));
    await obj.write(2 * PS, new Uint8Array([3]));
    expect(store.get(0)?.subarray(0, 2)).toEqual(new Uint8Array([1, 2]));
    expect([...(await obj.read(0, 2))]).toEqual([1, 2]);
    await vm.destroy();
  });

  it('without pageOut, dirty pages stay resident (NotImplemented) and nothing is lost', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: 2 * PS, pager: definePager({ pageIn: (_p, f) => (f.fill(0), ResultCode.Success) }) });
    await obj.write(0, new Uint8Array([5]));
    await obj.write(PS, new Uint8Array([6]));
    await expect(obj.flush()).rejects.toThrow(/NotImplemented/);
    expect([...(await obj.read(0, 1)), ...(await obj.read(PS, 1))]).toEqual([5, 6]);
    await vm.destroy();
  });

  it('refuses what is not a pager description, naming the key', () => {
    expect(() => definePager(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => definePager({} as never)).toThrow(/methods.pageIn/);
    expect(() => definePager({ pageIn: () => ResultCode.Success, pageout: () => ResultCode.Success } as never)).toThrow(/methods.pageout/);
    expect(() => definePager({ pageIn: () => ResultCode.Success, pageOut: 3 } as never)).toThrow(/methods.pageOut/);
    expect(() => definePager({ pageIn: () => ResultCode.Success, refillsCleanPages: 'yes' } as never)).toThrow(/refillsCleanPages/);
  });

  it('one definition per object: a factory registers it in an extension', async () => {
    const ext: ExtensionModule = {
      manifest: { name: 'zeros', version: '1.0.0', apiVersion: 1, description: 'zero pages' },
      activate(ctx) {
        ctx.bindPager('zeros', () => definePager({ pageIn: (_p, f) => (f.fill(0), ResultCode.Success), refillsCleanPages: true }));
      },
    };
    const vm = smallVm({ frames: 2 });
    await extensionsOf(vm).load(ext);
    const a = vm.createMemoryObject({ size: PS, pager: 'zeros' });
    const b = vm.createMemoryObject({ size: PS, pager: 'zeros' });
    expect(a.pager).not.toBe(b.pager);
    await vm.destroy();
  });
});

describe('a pager class whose constructor takes options', () => {
  class OptionsPager extends Pager {
    constructor(readonly options: { fill: number }) {
      super();
    }
    override pageIn(_page: number, frame: Uint8Array): ResultCode {
      frame.fill(this.options.fill);
      return ResultCode.Success;
    }
  }

  it('is refused when registered as a class, with the factory form in the message', async () => {
    const ext: ExtensionModule = {
      manifest: { name: 'opts', version: '1.0.0', apiVersion: 1, description: 'options' },
      activate(ctx) {
        ctx.bindPager('opts', OptionsPager as never);
      },
    };
    const vm = smallVm({ frames: 2 });
    const err = await extensionsOf(vm)
      .load(ext)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtensionError);
    expect(String((err as Error).cause)).toMatch(/OptionsPager's takes 1\. Register a factory instead: \(\) => new OptionsPager\(\.\.\.\)/);
    expect(() => vm.setDefaultPager(OptionsPager as never)).toThrow(/Register a factory instead/);
    await vm.destroy();
  });

  it('works through a factory, no decorators', async () => {
    const ext: ExtensionModule = {
      manifest: { name: 'opts', version: '1.0.0', apiVersion: 1, description: 'options' },
      activate(ctx) {
        ctx.bindPager('sevens', () => new OptionsPager({ fill: 7 }));
      },
    };
    const vm = smallVm({ frames: 2 });
    await extensionsOf(vm).load(ext);
    const obj = vm.createMemoryObject({ size: PS, pager: 'sevens' });
    expect([...(await obj.read(0, 2))]).toEqual([7, 7]);
    await vm.destroy();
  });
});

describe('extensions.load resolves a relative path from the file that calls it', () => {
  let dir: string;
  const here = process.cwd();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinvm-cwd-'));
  });
  afterAll(() => {
    process.chdir(here);
    rmSync(dir, { recursive: true, force: true });
  });

  it('whatever the working directory is', async () => {
    const file = join(import.meta.dirname, `.spinvm-tmp-ext-${process.pid}.mjs`);
    writeFileSync(
      file,
      "export const manifest = { name: 'relative', version: '1.0.0', apiVersion: 1, description: 'found from its caller' };\nexport function activate() {}\n",
    );
    try {
      process.chdir(dir);
      const vm = smallVm({ frames: 2 });
      const info = await extensionsOf(vm).load(`./.spinvm-tmp-ext-${process.pid}.mjs`);
      expect(info.name).toBe('relative');
      await vm.destroy();
      // An explicit base, and a cwd, still win.
      const vm2 = smallVm({ frames: 2 });
      await extensionsOf(vm2).load(`./.spinvm-tmp-ext-${process.pid}.mjs`, { base: pathToFileURL(file).href });
      const err = await extensionsOf(vm2)
        .load(`./.spinvm-tmp-ext-${process.pid}.mjs`, { cwd: dir })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExtensionError);
      expect((err as ExtensionError).reason).toBe('not-found');
      await expect(extensionsOf(vm2).load('./x.mjs', { base: 42 as never })).rejects.toThrow(/options.base/);
      await vm2.destroy();
    } finally {
      process.chdir(here);
      rmSync(file, { force: true });
    }
  });
});

describe('the pool given in bytes, and pools no machine can hold', () => {
  it('poolSize is bytes, rounded down to whole pages', () => {
    expect(createVm({ pageSize: 4096, poolSize: 64 << 20 }).frames).toBe(16384);
    expect(createVm({ pageSize: 4096, poolSize: 10_000 }).frames).toBe(2);
  });

  it('refuses frames meant as bytes before allocating anything, and bad pool sizes', () => {
    expect(() => createVm({ frames: 64 << 20 })).toThrow(/frames counts pages; give poolSize for bytes/);
    expect(() => createVm({ poolSize: 2 ** 50 })).toThrow(/more than its/);
    expect(() => createVm({ frames: 4, poolSize: 4096 })).toThrow(/frames or poolSize, not both/);
    expect(() => createVm({ poolSize: 100 })).toThrow(/at least one page/);
    for (const bad of [-1, 0, 1.5, NaN, Infinity, '4096', null]) expect(() => createVm({ poolSize: bad as never })).toThrow(InvalidArgumentError);
  });
});
