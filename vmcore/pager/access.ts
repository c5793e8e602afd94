import { InvalidArgumentError } from '../errors.js';

/** The kind of access that faulted a page. */
export type Access = 'read' | 'write' | 'execute';

export const ACCESSES: readonly Access[] = ['read', 'write', 'execute'];

export function checkAccess(value: unknown, argument = 'access'): Access {
  if (value !== 'read' && value !== 'write' && value !== 'execute') {
    throw new InvalidArgumentError(argument, value, "one of 'read', 'write', 'execute'");
  }
  return value;
}
