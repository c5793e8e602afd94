// flush(): every dirty page paged out (in runs), kept resident and clean; a failed page stays dirty.
import { describe, expect, it } from 'vitest';
import { PagerFailedError, ResultCode } from '../../vmcore/index.js';
import { bytes, RecordingPager, ScriptedPager } from '../helpers/pagers.js';
import { PS, smallVm } from '../helpers/small.js';

describe('flush', () => {
  it('pages out every dirty page and keeps it resident', async () => {
    const vm = smallVm({ frames: 4 });
    const pager = new RecordingPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.write(0, new Uint8Array(3 * PS).fill(3));
    expect(await obj.flush()).toBe(3);
    expect(obj.stat()).toMatchObject({ residentPages: 3, dirtyPages: 0, pageOuts: 3 });
    expect([...pager.store.keys()].sort()).toEqual([0, 1, 2]);
    expect(await obj.flush()).toBe(0);
  });

  it('a failed page-out in a flush leaves that page dirty and reports the first error after trying the rest', async () => {
    const vm = smallVm({ frames: 4 });
    const pager = new ScriptedPager();
    const obj = vm.createMemoryObject({ size: 4 * PS, pager });
    await obj.write(0, new Uint8Array(3 * PS).fill(3));
    pager.outAnswers = ['store', ResultCode.DeviceFull, 'store'];
    const err = await obj.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.DeviceFull);
    expect((err as PagerFailedError).page).toBe(1);
    expect(obj.stat().dirtyPages).toBe(1);
    expect(await obj.flush()).toBe(1);
  });

  it('the bogopager cannot flush: NotImplemented, and the data stays', async () => {
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: PS });
    await obj.write(0, bytes(4));
    const err = await obj.flush().catch((e: unknown) => e);
    expect((err as PagerFailedError).result).toBe(ResultCode.NotImplemented);
    expect([...(await obj.read(0, 1))]).toEqual([4]);
  });
});
