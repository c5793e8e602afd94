import { SQLITE_BUSY, SQLITE_LOCK_EXCLUSIVE, SQLITE_LOCK_NONE, SQLITE_LOCK_PENDING, SQLITE_LOCK_RESERVED, SQLITE_LOCK_SHARED, SQLITE_OK } from './constants.js';

/** One connection's hold on a file: the level it has reached (SQLITE_LOCK_NONE .. SQLITE_LOCK_EXCLUSIVE). */
export interface LockHolder {
  lock: number;
}

/**
 * SQLite's five lock levels (lockingv3.html) over one file, for every connection of one VFS: what os_unix.c's
 * in-memory inode lock does, without the byte-range locks that would reach other processes.
 *
 * Invariants: `shared` counts the holders at SHARED or above; at most one holder is at RESERVED or above
 * with `reserved` set, one at PENDING (`pending`), one at EXCLUSIVE (`exclusive`, then shared === 1). A
 * holder at PENDING or EXCLUSIVE is `pending` (SQLite may go from SHARED to EXCLUSIVE without RESERVED).
 * A refused lock answers SQLITE_BUSY and keeps what was held, except a refused EXCLUSIVE that keeps
 * PENDING, so that no new reader comes in while the writer waits for the others to leave (as os_unix does).
 */
export class FileLocks {
  private shared = 0;
  private reserved: LockHolder | undefined;
  private pending: LockHolder | undefined;
  private exclusive: LockHolder | undefined;

  lock(holder: LockHolder, level: number): number {
    if (holder.lock >= level) return SQLITE_OK;
    if (level === SQLITE_LOCK_SHARED) {
      if ((this.pending && this.pending !== holder) || (this.exclusive && this.exclusive !== holder)) return SQLITE_BUSY;
      this.shared++;
      holder.lock = SQLITE_LOCK_SHARED;
      return SQLITE_OK;
    }
    // RESERVED and EXCLUSIVE are asked for by a holder at SHARED or above (SQLite never asks for PENDING).
    if (holder.lock === SQLITE_LOCK_NONE) return SQLITE_BUSY;
    if (level === SQLITE_LOCK_RESERVED) {
      if (this.reserved || (this.pending && this.pending !== holder)) return SQLITE_BUSY;
      this.reserved = holder;
      holder.lock = SQLITE_LOCK_RESERVED;
      return SQLITE_OK;
    }
    if (this.pending && this.pending !== holder) return SQLITE_BUSY;
    this.pending = holder;
    holder.lock = SQLITE_LOCK_PENDING;
    if (this.shared > 1) return SQLITE_BUSY; // readers still in: keep PENDING and let SQLite retry
    this.exclusive = holder;
    holder.lock = SQLITE_LOCK_EXCLUSIVE;
    return SQLITE_OK;
  }

  /** Down to SHARED or NONE (SQLite asks for no other level). */
  unlock(holder: LockHolder, level: number): number {
    if (holder.lock <= level) return SQLITE_OK;
    if (this.reserved === holder) this.reserved = undefined;
    if (this.pending === holder) this.pending = undefined;
    if (this.exclusive === holder) this.exclusive = undefined;
    if (level === SQLITE_LOCK_NONE) this.shared--;
    holder.lock = level === SQLITE_LOCK_NONE ? SQLITE_LOCK_NONE : SQLITE_LOCK_SHARED;
    return SQLITE_OK;
  }

  /** Whether any connection (this one too) holds RESERVED or more: xCheckReservedLock. */
  get isReserved(): boolean {
    return this.reserved !== undefined || this.pending !== undefined;
  }

  get isExclusive(): boolean {
    return this.exclusive !== undefined && this.exclusive.lock === SQLITE_LOCK_EXCLUSIVE;
  }
}
