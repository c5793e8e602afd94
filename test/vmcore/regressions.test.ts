import { describe, expect, it } from 'vitest';
import { BogoPager, createVm, InvalidArgumentError, SpinVmError, TOKENS } from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';

const PS = 512;

describe('found in review', () => {
  it('destroying an object with pinned pages gives their frames back to the pool', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: 2 * PS, pager: new RecordingPager() });
    await obj.pin(0);
    await obj.pin(0);
    await obj.pin(1);
    await obj.destroy();
    expect(vm.stat()).toMatchObject({ freeFrames: 2, pinnedFrames: 0 });
  });

  it('null page size or frame count is an error, not the default', () => {
    expect(() => createVm({ pageSize: null as unknown as number })).toThrow(InvalidArgumentError);
    expect(() => createVm({ frames: null as unknown as number })).toThrow(InvalidArgumentError);
  });

  it('a default pager bound as a constant cannot serve two objects', () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    vm.container.rebind(TOKENS.DefaultPager).toConstantValue(new RecordingPager());
    vm.createMemoryObject({ size: PS });
    expect(() => vm.createMemoryObject({ size: PS })).toThrow(/not already serving another memory object/);
    expect(vm.stat().objects).toBe(1);
  });

  it('a failed createMemoryObject uses no id', () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    expect(() => vm.createMemoryObject({ size: PS, name: '' })).toThrow(InvalidArgumentError);
    expect(vm.createMemoryObject({ size: PS }).name).toBe('object-0');
  });

  it('event subscriptions check the event name and the listener', () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    expect(() => obj.on('fault', 42 as never)).toThrow(/listener must be a function/);
    expect(() => vm.on('nope' as 'fault', () => {})).toThrow(/event must be one of fault/);
  });

  it('a pager used before init() throws a typed error', () => {
    expect(() => new BogoPager().pageIn(0, new Uint8Array(PS), 'read')).toThrow(SpinVmError);
  });

  it('named pagers resolve from the container; an unknown name is a typed error', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    vm.container.bind(TOKENS.Pager).to(RecordingPager).inTransientScope().whenNamed('recording');
    const a = vm.createMemoryObject({ size: PS, pager: 'recording' });
    const b = vm.createMemoryObject({ size: PS, pager: 'recording' });
    expect(a.pager).toBeInstanceOf(RecordingPager);
    expect(a.pager).not.toBe(b.pager);
    expect(() => vm.createMemoryObject({ size: PS, pager: 'nope' })).toThrow(/the name of a registered pager/);
  });

  it('shutdown hooks run once when the instance is destroyed, after its objects', async () => {
    const vm = createVm({ pageSize: PS, frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    const seen: boolean[] = [];
    vm.onShutdown(() => void seen.push(obj.isDestroyed));
    const cancelled = vm.onShutdown(() => void seen.push(false));
    cancelled();
    await vm.destroy();
    await vm.destroy();
    expect(seen).toEqual([true]);
  });
});

import { runModel, type ModelOp } from '../../conformance/model/index.js';

describe('lost write found by the randomized test (seed 2)', () => {
  it('a faulter that waited for a frame keeps it pinned from the moment it is issued', async () => {
    // A flush makes the waiters of pool.changed() race: the first faulter's page must not be evicted as a
    // clean page before its write lands in it.
    const ops: ModelOp[] = [
      { kind: 'write', obj: 1, offset: 1761, length: 800, seed: 1 },
      {
        kind: 'batch',
        ops: [
          { kind: 'flush', obj: 1 },
          { kind: 'write', obj: 0, offset: 0, length: 1, seed: 0 },
          { kind: 'write', obj: 0, offset: 512, length: 1, seed: 0 },
          { kind: 'read', obj: 0, offset: 1024, length: 1 },
          { kind: 'write', obj: 0, offset: 1536, length: 1, seed: 0 },
        ],
      },
    ];
    for (const async of [false, true]) {
      await runModel({ pageSize: 512, frames: 3, objects: 3, objectSize: 512 * 6 + 100 }, { makePager: () => new RecordingPager({ async }) }, ops);
    }
  });
});
