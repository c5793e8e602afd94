import { injectable } from 'inversify';
import type { Access } from './access.js';
import { Pager } from './pager.js';
import { ResultCode } from './result-code.js';

/**
 * SPIN's bogopager, the default pager out of the box: every page-in is a zero-filled page, and there is
 * no page-out, so a written page stays resident until its object is destroyed.
 */
@injectable()
export class BogoPager extends Pager {
  /** What it does, for the conformance kit (`spinvm/conformance`): zero fill, and no page-out at all. */
  static readonly capabilities = { pageOut: false, persistent: false, readOnly: true, zeroFill: true, checksFrames: true, answersDestroyed: true };
  private destroyed = false;

  override get refillsCleanPages(): boolean {
    return true;
  }

  override destroy(): void {
    this.destroyed = true;
  }

  override pageIn(_page: number, frame: Uint8Array, _access: Access): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    frame.fill(0);
    return ResultCode.Success;
  }

  override pageOut(_page: number, frame: Uint8Array, _dirty: boolean): ResultCode {
    if (this.destroyed) return ResultCode.PagerDestroyed;
    this.checkFrame(frame);
    return ResultCode.NotImplemented;
  }
}
