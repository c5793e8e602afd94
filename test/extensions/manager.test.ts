import { ContainerModule } from 'inversify';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXTENSION_API_VERSION, ExtensionError, extensionsOf, type ExtensionContext, type ExtensionModule } from '../../extensions/index.js';
import { BindingTable, describeBindings } from '../../extensions/manager/binding-table.js';
import { BogoPager, HashCache, Pager, TOKENS, type CacheFactory, type Vm } from '../../vmcore/index.js';
import { RecordingPager, pattern } from '../helpers/pagers.js';
import { MapPager, seen } from './fixtures/counting-pager-ext.js';
import { PS, smallVm } from '../helpers/small.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

const vms: Vm[] = [];
function vm(frames = 4): Vm {
  const made = smallVm({ frames });
  vms.push(made);
  // The manager is a binding of the instance's container, made on first use: made here, before any snapshot,
  // so that the snapshots compare what loading and unloading did.
  extensionsOf(made);
  return made;
}
afterEach(async () => {
  await Promise.allSettled(vms.splice(0).map((v) => v.destroy()));
});

/** The container's bindings as objects: identical lists mean nothing was added, removed or replaced. */
function snapshot(v: Vm): { described: ReturnType<typeof describeBindings>; objects: unknown[] } {
  return { described: describeBindings(v.container), objects: [...BindingTable.of(v.container).snapshot().values()].sort((a, b) => a.id - b.id) };
}

function ext(name: string, activate: (c: ExtensionContext) => void | Promise<void>, more: Partial<ExtensionModule> = {}): ExtensionModule {
  return { manifest: { name, version: '1.0.0', apiVersion: '^1', description: `test extension ${name}` }, activate, ...more };
}

async function rejection(p: Promise<unknown>): Promise<ExtensionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExtensionError);
  return err as ExtensionError;
}

describe('loading', () => {
  it('a file path: its pager is usable by name, its events arrive, list() describes it', async () => {
    const v = vm();
    const before = seen.pageIns;
    const info = await extensionsOf(v).load(join(FIXTURES, 'counting-pager-ext.ts'), { options: { level: 3 } });
    expect(info).toMatchObject({ name: 'counting', version: '1.2.3', apiVersion: '^1.0.0', pagers: ['map'], defaultPager: false, objects: 0 });
    expect(info.url).toMatch(/^file:.*counting-pager-ext\.ts$/);
    expect(seen.options).toEqual({ level: 3 });
    const obj = v.createMemoryObject({ size: PS * 8, pager: 'map' });
    expect(obj.pager).toBeInstanceOf(MapPager);
    // Through eviction: 8 pages over 4 frames, so the map pager's page-outs matter.
    for (let p = 0; p < 8; p++) await obj.write(p * PS, pattern(PS, p + 1));
    for (let p = 0; p < 8; p++) expect(await obj.read(p * PS, PS)).toEqual(pattern(PS, p + 1));
    expect(seen.pageIns - before).toBeGreaterThan(8);
    expect(extensionsOf(v).list()).toEqual([{ ...info, objects: 1 }]);
    expect(extensionsOf(v).objectsOf('counting')).toEqual([obj]);
  });

  it('a relative path resolved from cwd, a package directory through its exports, and a default export', async () => {
    const v = vm();
    await extensionsOf(v).load('./counting-pager-ext.ts', { cwd: FIXTURES });
    await extensionsOf(v).load('./pkg-dir', { cwd: FIXTURES });
    await extensionsOf(v).load(join(FIXTURES, 'default-export-ext.ts'));
    expect(
      extensionsOf(v)
        .list()
        .map((e) => e.name),
    ).toEqual(['counting', 'pkg-dir', 'default-export']);
    expect(v.createMemoryObject({ size: PS, pager: 'pkg-map' }).pager).toBeInstanceOf(MapPager);
    expect(v.createMemoryObject({ size: PS, pager: 'zero' }).pager).toBeInstanceOf(BogoPager);
  });

  it("extensionsOf(vm) is the manager bound in the instance's container, one per instance; Vm is not patched", () => {
    const v = smallVm({ frames: 4 });
    vms.push(v);
    expect(v.container.isBound(TOKENS.ExtensionManager)).toBe(false);
    const manager = extensionsOf(v);
    expect(v.container.get(TOKENS.ExtensionManager)).toBe(manager);
    expect(extensionsOf(v)).toBe(manager);
    expect(extensionsOf(vm())).not.toBe(manager);
    expect('extensions' in v).toBe(false);
  });

  it('an injected pager class gets the instance through @inject, as any container-made pager does', async () => {
    const v = vm();
    let injected: unknown;
    const { inject, injectable } = await import('inversify');
    @injectable()
    class VmAwarePager extends RecordingPager {
      constructor(@inject(TOKENS.Vm) vmHere: Vm) {
        super();
        injected = vmHere;
      }
    }
    await extensionsOf(v).load(ext('vm-aware', (c) => c.bindPager('aware', VmAwarePager)));
    v.createMemoryObject({ size: PS, pager: 'aware' });
    expect(injected).toBe(v);
  });

  it('context.bindPager takes a factory too; bindPolicy, setCacheFactory and load(ContainerModule) register through the container', async () => {
    const v = vm();
    const cacheFactory: CacheFactory = () => new HashCache();
    const token = Symbol('extra');
    await extensionsOf(v).load(
      ext('many', (c) => {
        c.bindPager('factory-made', () => new RecordingPager());
        c.bindPolicy('my-fifo', () => ({}) as never);
        c.setCacheFactory(cacheFactory);
        c.load(new ContainerModule(({ bind }) => void bind(token).toConstantValue(42)));
      }),
    );
    const made = v.createMemoryObject({ size: PS, pager: 'factory-made' });
    expect(made.pager).toBeInstanceOf(RecordingPager);
    expect(extensionsOf(v).objectsOf('many')).toEqual([made]);
    await made.destroy();
    expect(v.container.isBound(TOKENS.PolicyFactory, { name: 'my-fifo' })).toBe(true);
    expect(v.container.get(TOKENS.CacheFactory)).toBe(cacheFactory);
    expect(v.container.get(token)).toBe(42);
    await extensionsOf(v).unload('many');
    expect(v.container.isBound(TOKENS.Pager, { name: 'factory-made' })).toBe(false);
    expect(v.container.isBound(TOKENS.PolicyFactory, { name: 'my-fifo' })).toBe(false);
    expect(v.container.get(TOKENS.CacheFactory)).not.toBe(cacheFactory);
    expect(v.container.isBound(token)).toBe(false);
  });
});

describe('loading validates everything before changing anything', () => {
  const cases: Array<[string, (v: Vm) => Promise<unknown>, string, string | RegExp]> = [
    ['a path that does not exist', (v) => extensionsOf(v).load('./no-such-extension.js', { cwd: FIXTURES }), 'not-found', './no-such-extension.js'],
    ['a package that is not installed', (v) => extensionsOf(v).load('spinvm-no-such-package', { cwd: FIXTURES }), 'not-found', 'spinvm-no-such-package'],
    ['a module that throws while imported', (v) => extensionsOf(v).load(join(FIXTURES, 'throws-on-import.ts')), 'import-failed', /boom at import time/],
    ['no manifest', (v) => extensionsOf(v).load({ activate() {} } as never), 'missing-export', /manifest/],
    [
      'no activate',
      (v) => extensionsOf(v).load({ manifest: { name: 'x', version: '1.0.0', apiVersion: 1, description: 'd' } } as never),
      'missing-export',
      /activate/,
    ],
    ['a deactivate that is not a function', (v) => extensionsOf(v).load({ ...ext('x', () => {}), deactivate: 3 } as never), 'missing-export', /deactivate/],
    ['a manifest that is not an object', (v) => extensionsOf(v).load({ manifest: 'x', activate() {} } as never), 'bad-manifest', /not an object/],
    [
      'a bad name',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'Has Spaces', version: '1.0.0', apiVersion: 1, description: 'd' } }),
      'bad-manifest',
      /name/,
    ],
    [
      'a bad version',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'x', version: 'one', apiVersion: 1, description: 'd' } }),
      'bad-manifest',
      /version/,
    ],
    [
      'no description',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'x', version: '1.0.0', apiVersion: 1, description: '' } }),
      'bad-manifest',
      /description/,
    ],
    [
      'an unreadable apiVersion range',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'x', version: '1.0.0', apiVersion: 'soon', description: 'd' } }),
      'bad-manifest',
      /apiVersion/,
    ],
    [
      'an incompatible apiVersion range',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'x', version: '1.0.0', apiVersion: '^2.0.0', description: 'd' } }),
      'incompatible-api',
      /\^2\.0\.0.*1\.0\.0/,
    ],
    [
      'an incompatible integer apiVersion',
      (v) => extensionsOf(v).load({ ...ext('x', () => {}), manifest: { name: 'x', version: '1.0.0', apiVersion: 2, description: 'd' } }),
      'incompatible-api',
      /provides 1\.0\.0/,
    ],
  ];
  for (const [what, load, reason, message] of cases) {
    it(`${what}: ${reason}, and the container is untouched`, async () => {
      const v = vm();
      const before = snapshot(v);
      const err = await rejection(load(v));
      expect(err.reason).toBe(reason);
      expect(err.message).toMatch(message);
      expect(err.code).toBe('SPINVM_EXTENSION');
      expect(snapshot(v)).toEqual(before);
      expect(extensionsOf(v).list()).toEqual([]);
    });
  }

  it('a name already loaded: already-loaded, and the first stays as it was', async () => {
    const v = vm();
    let second = false;
    await extensionsOf(v).load(ext('twice', (c) => c.bindPager('a', RecordingPager)));
    const before = snapshot(v);
    const err = await rejection(extensionsOf(v).load(ext('twice', () => void (second = true))));
    expect(err).toMatchObject({ reason: 'already-loaded', extension: 'twice' });
    expect(second).toBe(false);
    expect(snapshot(v)).toEqual(before);
  });

  it('an activate that throws after registering pagers, a default pager, a cache, raw bindings, events and hooks: all undone', async () => {
    const v = vm();
    const before = snapshot(v);
    const cause = new Error('activation exploded');
    let heard = 0;
    let hookRan = false;
    const err = await rejection(
      extensionsOf(v).load(
        ext('explodes', async (c) => {
          c.bindPager('half-made', RecordingPager);
          c.setDefaultPager(RecordingPager);
          c.setCacheFactory(() => new HashCache());
          c.container.bind(Symbol.for('raw')).toConstantValue(1);
          c.container.rebind(TOKENS.PageSize).toConstantValue(9999);
          c.on('fault', () => void heard++);
          c.onUnload(() => void (hookRan = true));
          await new Promise((r) => setImmediate(r));
          throw cause;
        }),
      ),
    );
    expect(err).toMatchObject({ reason: 'activate-failed', extension: 'explodes', cause });
    expect(err.message).toMatch(/explodes.*activation exploded/);
    // Identical: the same binding objects (ids, caches) for every service, nothing more, nothing less.
    expect(snapshot(v)).toEqual(before);
    const now = snapshot(v).objects;
    expect(now).toHaveLength(before.objects.length);
    now.forEach((b, i) => expect(b).toBe(before.objects[i]));
    expect(v.container.get(TOKENS.PageSize)).toBe(PS);
    expect(hookRan).toBe(true);
    const obj = v.createMemoryObject({ size: PS });
    expect(obj.pager).toBeInstanceOf(BogoPager);
    await obj.read(0, 1);
    expect(heard).toBe(0);
    // The name is free again.
    await extensionsOf(v).load(ext('explodes', () => {}));
  });

  it('a pager name already registered makes activate fail, undoing what came before it', async () => {
    const v = vm();
    await extensionsOf(v).load(ext('first', (c) => c.bindPager('taken', RecordingPager)));
    const before = snapshot(v);
    const err = await rejection(
      extensionsOf(v).load(
        ext('second', (c) => {
          c.bindPager('free', RecordingPager);
          c.bindPager('taken', RecordingPager);
        }),
      ),
    );
    expect(err.reason).toBe('activate-failed');
    expect(err.message).toMatch(/taken/);
    expect(snapshot(v)).toEqual(before);
  });

  it('loading or unloading from inside activate is refused instead of deadlocking', async () => {
    const v = vm();
    const err = await rejection(extensionsOf(v).load(ext('nested', async (c) => void (await extensionsOf(c.vm).load(ext('inner', () => {}))))));
    expect(err.reason).toBe('activate-failed');
    expect((err.cause as ExtensionError).reason).toBe('reentrant');
  });

  it('work an extension leaves running after activate may load extensions once activate is over', async () => {
    const v = vm();
    let later: Promise<unknown> | undefined;
    await extensionsOf(v).load(
      ext('starter', (c) => {
        later = new Promise((resolve) => setTimeout(resolve, 5)).then(() => extensionsOf(c.vm).load(ext('started-later', () => {})));
      }),
    );
    await later;
    expect(
      extensionsOf(v)
        .list()
        .map((e) => e.name),
    ).toEqual(['starter', 'started-later']);
  });
});

describe('unloading', () => {
  it('removes its pagers and event subscriptions, runs deactivate and unload hooks (newest first)', async () => {
    const v = vm();
    const order: string[] = [];
    let faults = 0;
    await extensionsOf(v).load(
      ext(
        'tidy',
        (c) => {
          c.bindPager('tidy-pager', RecordingPager);
          c.on('fault', () => void faults++);
          c.onUnload(() => void order.push('hook 1'));
          c.onUnload(() => void order.push('hook 2'));
        },
        { deactivate: () => void order.push('deactivate') },
      ),
    );
    const obj = v.createMemoryObject({ size: PS });
    await obj.read(0, 1);
    expect(faults).toBe(1);
    const report = await extensionsOf(v).unload('tidy');
    expect(report).toEqual({ name: 'tidy', destroyedObjects: [], errors: [] });
    expect(order).toEqual(['deactivate', 'hook 2', 'hook 1']);
    expect(v.container.isBound(TOKENS.Pager, { name: 'tidy-pager' })).toBe(false);
    expect(() => v.createMemoryObject({ size: PS, pager: 'tidy-pager' })).toThrow(/registered pager/);
    await obj.read(PS * 0, 1);
    const other = v.createMemoryObject({ size: PS });
    await other.read(0, 1);
    expect(faults).toBe(1);
    expect(extensionsOf(v).list()).toEqual([]);
  });

  it('leaves the container as it was before loading', async () => {
    const v = vm();
    const before = snapshot(v);
    await extensionsOf(v).load(
      ext('roundtrip', (c) => {
        c.bindPager('x', RecordingPager);
        c.setDefaultPager(RecordingPager);
        c.container.bind(Symbol.for('raw-2')).toConstantValue(2);
      }),
    );
    expect(snapshot(v)).not.toEqual(before);
    await extensionsOf(v).unload('roundtrip');
    expect(snapshot(v)).toEqual(before);
  });

  it('refuses while memory objects made with its pagers are alive; force flushes then destroys them', async () => {
    const v = vm();
    await extensionsOf(v).load(join(FIXTURES, 'counting-pager-ext.ts'));
    const a = v.createMemoryObject({ size: PS * 2, pager: 'map', name: 'kept-a' });
    const plain = v.createMemoryObject({ size: PS, name: 'plain' });
    await a.write(0, pattern(PS, 7));
    const err = await rejection(extensionsOf(v).unload('counting'));
    expect(err).toMatchObject({ reason: 'in-use', extension: 'counting' });
    expect(err.message).toMatch(/kept-a/);
    expect(extensionsOf(v).list()).toHaveLength(1);

    const pager = a.pager as MapPager;
    const flushed: number[] = [];
    const original = pager.pageOut.bind(pager);
    pager.pageOut = (page, frame, dirty) => {
      flushed.push(page);
      return original(page, frame, dirty);
    };
    const deactivations = seen.deactivations;
    const report = await extensionsOf(v).unload('counting', { force: true });
    expect(report).toEqual({ name: 'counting', destroyedObjects: ['kept-a'], errors: [] });
    expect(flushed).toEqual([0]);
    expect(a.isDestroyed).toBe(true);
    expect(plain.isDestroyed).toBe(false);
    expect(seen.deactivations).toBe(deactivations + 1);
  });

  it('succeeds once its objects are destroyed', async () => {
    const v = vm();
    await extensionsOf(v).load(ext('brief', (c) => c.bindPager('brief', RecordingPager)));
    const obj = v.createMemoryObject({ size: PS, pager: 'brief' });
    await expect(extensionsOf(v).unload('brief')).rejects.toMatchObject({ reason: 'in-use' });
    await obj.destroy();
    await expect(extensionsOf(v).unload('brief')).resolves.toMatchObject({ name: 'brief' });
  });

  it('an unknown name: not-loaded', async () => {
    const err = await rejection(extensionsOf(vm()).unload('nobody'));
    expect(err.reason).toBe('not-loaded');
  });

  it('a deactivate that throws is reported, and the extension is unloaded all the same', async () => {
    const v = vm();
    await extensionsOf(v).load(
      ext('grumpy', (c) => c.bindPager('g', RecordingPager), {
        deactivate: () => {
          throw new Error('no!');
        },
      }),
    );
    const report = await extensionsOf(v).unload('grumpy');
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ reason: 'deactivate-failed' });
    expect(extensionsOf(v).has('grumpy')).toBe(false);
    expect(v.container.isBound(TOKENS.Pager, { name: 'g' })).toBe(false);
  });

  it('bindings an extension makes after activation (in an event handler) are undone too; its context is dead afterwards', async () => {
    const v = vm();
    let context: ExtensionContext | undefined;
    await extensionsOf(v).load(
      ext('late', (c) => {
        context = c;
        c.on('fault', () => {
          if (!c.container.isBound(TOKENS.Pager, { name: 'late' })) c.bindPager('late', RecordingPager);
        });
      }),
    );
    await v.createMemoryObject({ size: PS }).read(0, 1);
    expect(v.container.isBound(TOKENS.Pager, { name: 'late' })).toBe(true);
    await extensionsOf(v).unload('late');
    expect(v.container.isBound(TOKENS.Pager, { name: 'late' })).toBe(false);
    expect(() => context!.bindPager('again', RecordingPager)).toThrow(ExtensionError);
  });

  it('runs every deactivate, newest first, when the instance is destroyed', async () => {
    const v = smallVm({ frames: 4 });
    const order: string[] = [];
    await extensionsOf(v).load(ext('one', () => {}, { deactivate: () => void order.push('one') }));
    await extensionsOf(v).load(ext('two', () => {}, { deactivate: () => void order.push('two') }));
    await v.destroy();
    expect(order).toEqual(['two', 'one']);
  });
});

describe('the default pager as an extension', () => {
  class SwapLikePager extends RecordingPager {}
  class OtherDefault extends RecordingPager {}

  it('loading replaces the bogopager for new objects; unloading puts it back', async () => {
    const v = vm();
    const before = snapshot(v);
    const info = await extensionsOf(v).load(ext('swap-like', (c) => c.setDefaultPager(SwapLikePager)));
    expect(info.defaultPager).toBe(true);
    const old = v.createMemoryObject({ size: PS, pager: new BogoPager() });
    const made = v.createMemoryObject({ size: PS });
    expect(made.pager).toBeInstanceOf(SwapLikePager);
    expect(extensionsOf(v).objectsOf('swap-like')).toEqual([made]);
    await made.destroy();
    await extensionsOf(v).unload('swap-like');
    expect(v.createMemoryObject({ size: PS }).pager).toBeInstanceOf(BogoPager);
    expect(old.isDestroyed).toBe(false);
    expect(describeBindings(v.container).filter((d) => d.service.includes('DefaultPager'))).toEqual(
      before.described.filter((d) => d.service.includes('DefaultPager')),
    );
  });

  it('a default chosen by the user before loading comes back at unload', async () => {
    const v = vm();
    v.setDefaultPager(OtherDefault);
    await extensionsOf(v).load(ext('swap-like', (c) => c.setDefaultPager(SwapLikePager)));
    await extensionsOf(v).unload('swap-like');
    expect(v.createMemoryObject({ size: PS }).pager).toBeInstanceOf(OtherDefault);
  });

  for (const order of [
    ['a', 'b'],
    ['b', 'a'],
  ]) {
    it(`two default pagers loaded in turn, unloaded ${order.join(' then ')}: each step leaves the right default`, async () => {
      const v = vm();
      class A extends RecordingPager {}
      class B extends RecordingPager {}
      await extensionsOf(v).load(ext('a', (c) => c.setDefaultPager(A)));
      await extensionsOf(v).load(ext('b', (c) => c.setDefaultPager(B)));
      const current = async (): Promise<unknown> => {
        const o = v.createMemoryObject({ size: PS });
        const ctor = o.pager.constructor;
        await o.destroy();
        return ctor;
      };
      expect(await current()).toBe(B);
      await extensionsOf(v).unload(order[0]!);
      expect(await current()).toBe(order[0] === 'a' ? B : A);
      await extensionsOf(v).unload(order[1]!);
      expect(await current()).toBe(BogoPager);
      expect(describeBindings(v.container).filter((d) => d.service.includes('DefaultPager'))).toHaveLength(1);
    });
  }

  it('objects made with the default pager while it was installed keep the extension loaded', async () => {
    const v = vm();
    await extensionsOf(v).load(ext('swap-like', (c) => c.setDefaultPager(SwapLikePager)));
    const obj = v.createMemoryObject({ size: PS });
    await extensionsOf(v)
      .unload('swap-like')
      .catch(() => undefined);
    expect(extensionsOf(v).has('swap-like')).toBe(true);
    await obj.destroy();
    await extensionsOf(v).unload('swap-like');
  });

  it("a pager instance given directly is not the extension's, even of its class", async () => {
    const v = vm();
    await extensionsOf(v).load(ext('swap-like', (c) => c.setDefaultPager(SwapLikePager)));
    v.createMemoryObject({ size: PS, pager: new SwapLikePager() });
    await expect(extensionsOf(v).unload('swap-like')).resolves.toMatchObject({ destroyedObjects: [] });
  });
});

describe('EXTENSION_API_VERSION', () => {
  it('is a semver version whose major the integer form names', () => {
    expect(EXTENSION_API_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Pager).toBeDefined();
  });
});
