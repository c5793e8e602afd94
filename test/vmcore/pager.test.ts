// The pager protocol (vmcore/pager/): SPIN's six result codes, the base class's defaults, the bogopager.
import { describe, expect, it } from 'vitest';
import { BogoPager, Pager, PagerFailedError, ResultCode, SpinVmError } from '../../vmcore/index.js';
import { PS, smallVm } from '../helpers/small.js';

describe('ResultCode and the Pager base class', () => {
  it('has exactly SPIN six codes', () => {
    const names = Object.keys(ResultCode).filter((k) => Number.isNaN(Number(k)));
    expect(names).toEqual(['Success', 'AlreadyPagedIn', 'AlreadyPagedOut', 'PagerDestroyed', 'DeviceFull', 'NotImplemented']);
  });

  it('answers NotImplemented to page-out in the base class; page-in has no default', () => {
    class ReadOnly extends Pager {
      override pageIn(): ResultCode {
        return ResultCode.Success;
      }
    }
    const p = new ReadOnly();
    expect(p.pageOut(0, new Uint8Array(PS), true)).toBe(ResultCode.NotImplemented);
    expect(Object.hasOwn(Pager.prototype, 'pageIn')).toBe(false);
  });

  it('a pager without pageIn (plain JavaScript, where the compiler cannot tell) is refused when the object is made', () => {
    const Base = Pager as unknown as new () => object;
    class Forgetful extends Base {}
    const vm = smallVm({ frames: 2 });
    expect(() => vm.createMemoryObject({ size: PS, pager: new Forgetful() as Pager })).toThrow(/Forgetful has no pageIn/);
    expect(vm.stat().objects).toBe(0);
  });

  it('the bogopager zero-fills, has no page-out, and answers PagerDestroyed after destroy', () => {
    const p = new BogoPager();
    p.init({ pageSize: PS, size: PS, pageCount: 1, name: 'b' });
    const frame = new Uint8Array(PS).fill(7);
    expect(p.pageIn(0, frame, 'read')).toBe(ResultCode.Success);
    expect(frame.every((b) => b === 0)).toBe(true);
    expect(p.pageOut(0, frame, true)).toBe(ResultCode.NotImplemented);
    p.destroy();
    expect(p.pageIn(0, frame, 'read')).toBe(ResultCode.PagerDestroyed);
  });

  it('a memory object over a pager answering NotImplemented to page-in fails the fault and is destroyed', async () => {
    class Bare extends Pager {
      override pageIn(): ResultCode {
        return ResultCode.NotImplemented;
      }
    }
    const vm = smallVm({ frames: 2 });
    const obj = vm.createMemoryObject({ size: PS, pager: new Bare() });
    const err = await obj.read(0, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.NotImplemented);
    expect(obj.isDestroyed).toBe(true);
  });

  // Pins a bug found in review: a pager used before init() threw no typed error.
  it('a pager used before init() throws a typed error', () => {
    expect(() => new BogoPager().pageIn(0, new Uint8Array(PS), 'read')).toThrow(SpinVmError);
  });
});
