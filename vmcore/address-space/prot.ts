import { InvalidArgumentError } from '../errors.js';
import type { Access } from '../pager/access.js';

/**
 * Protection bits, as PROT_READ / PROT_WRITE / PROT_EXEC. A protection can be given as a mask of these
 * (`PROT.READ | PROT.WRITE`), as a list or set of names (`['read', 'write']`), as one name (`'read'`), or as
 * `'none'` (or `[]`, or `PROT.NONE`). Rights are strict: a read needs read, a write needs write (write
 * does not imply read), an execute needs execute.
 */
export const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;

export type ProtName = 'read' | 'write' | 'execute';
export type Protection = number | 'none' | ProtName | readonly ProtName[] | ReadonlySet<ProtName>;

const BITS: Record<ProtName, number> = { read: PROT.READ, write: PROT.WRITE, execute: PROT.EXEC };
const EXPECTED = "a mask of PROT bits (0 to 7), 'none', one of 'read', 'write', 'execute', or an array or set of them";

export function parseProt(argument: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 7) throw new InvalidArgumentError(argument, value, EXPECTED);
    return value;
  }
  if (value === 'none') return PROT.NONE;
  if (typeof value === 'string') {
    if (!Object.hasOwn(BITS, value)) throw new InvalidArgumentError(argument, value, EXPECTED);
    return BITS[value as ProtName];
  }
  if (Array.isArray(value) || value instanceof Set) {
    let mask = 0;
    for (const name of value as Iterable<unknown>) {
      if (typeof name !== 'string' || !Object.hasOwn(BITS, name)) throw new InvalidArgumentError(argument, value, EXPECTED);
      mask |= BITS[name as ProtName];
    }
    return mask;
  }
  throw new InvalidArgumentError(argument, value, EXPECTED);
}

/** The names of the bits of `mask`, in the order read, write, execute. */
export function protNames(mask: number): ProtName[] {
  const out: ProtName[] = [];
  if (mask & PROT.READ) out.push('read');
  if (mask & PROT.WRITE) out.push('write');
  if (mask & PROT.EXEC) out.push('execute');
  return out;
}

/** The bit an access needs. */
export function protFor(access: Access): number {
  return access === 'read' ? PROT.READ : access === 'write' ? PROT.WRITE : PROT.EXEC;
}
