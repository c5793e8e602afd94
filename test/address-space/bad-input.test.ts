// Bad input: a typed error, and nothing changed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DestroyedError,
  InvalidArgumentError,
  OutOfRangeError,
  SpinVmError,
  createAddressSpace,
  type AddressSpace,
  type MapOptions,
} from '../../vmcore/index.js';
import { filled, setup, type Setup } from './helpers.js';

let t: Setup;
let a: number;
beforeEach(async () => {
  t = setup({ frames: 8 });
  a = await t.space.map({ anonymous: true, length: 2 * t.ps, address: 4 * t.ps, prot: ['read', 'write'], share: 'private' });
  await t.space.write(a, filled(2 * t.ps, 3));
});
afterEach(() => t.done());

type ErrorClass = abstract new (...args: never[]) => Error;
type Case = readonly [label: string, call: (s: AddressSpace) => unknown, error: ErrorClass];

async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('it succeeded');
}

async function snapshot(s: AddressSpace): Promise<unknown> {
  return { mappings: s.mappings(), bytes: await s.read(a, 2 * t.ps), stat: s.stat(), free: t.vm.stat().freeFrames, objects: t.vm.memoryObjects().length };
}

const PS = 4096;
const LIMIT = 2 ** 53;
const map = (o: Partial<MapOptions> & Record<string, unknown>) => (s: AddressSpace) =>
  s.map({ anonymous: true, length: PS, prot: 'read', share: 'private', ...o } as MapOptions);
const NOT_INDEXES: ReadonlyArray<readonly [string, unknown]> = [
  ['negative', -PS],
  ['fractional', 1.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['a string', '4096'],
  ['null', null],
  ['a bigint', 4096n],
];

const cases: Case[] = [
  ['map(undefined)', (s) => s.map(undefined as never), InvalidArgumentError],
  ['map(null)', (s) => s.map(null as never), InvalidArgumentError],
  ['map with an unknown option', map({ lenght: PS }), InvalidArgumentError],
  ['map with no source', (s) => s.map({ length: PS, prot: 'read', share: 'private' }), InvalidArgumentError],
  [
    'map with both object and file',
    (s) => s.map({ object: s.vm.createMemoryObject({ size: PS }), file: '/x', length: PS, prot: 'read', share: 'private' }),
    InvalidArgumentError,
  ],
  ['map with both anonymous and file', map({ file: '/x' }), InvalidArgumentError],
  ['map with anonymous: false', (s) => s.map({ anonymous: false, length: PS, prot: 'read', share: 'private' }), InvalidArgumentError],
  ['map with a zero length', map({ length: 0 }), InvalidArgumentError],
  ...NOT_INDEXES.map(([label, v]): Case => [`map with a ${label} length`, map({ length: v as number }), InvalidArgumentError]),
  ['map with length 2^53', map({ length: LIMIT }), InvalidArgumentError],
  ['map with an unaligned address', map({ address: PS + 1 }), InvalidArgumentError],
  ...NOT_INDEXES.map(([label, v]): Case => [`map with a ${label} address`, map({ address: v as number }), InvalidArgumentError]),
  ['map with a range wrapping past 2^53', map({ address: LIMIT - PS, length: 2 * PS }), OutOfRangeError],
  ['map fixed at page 0', map({ address: 0, fixed: true }), InvalidArgumentError],
  ['map fixed with no address', map({ fixed: true }), InvalidArgumentError],
  ['map with fixed not a boolean', map({ address: 8 * PS, fixed: 1 as never }), InvalidArgumentError],
  ...[
    ['a bad name', 'rw'],
    ['a bad name in a list', ['read', 'bogus']],
    ['mask 8', 8],
    ['mask -1', -1],
    ['a fractional mask', 1.5],
    ['null', null],
    ['an object', {}],
    ['undefined', undefined],
  ].map(([label, prot]): Case => [`map with prot ${label}`, map({ prot: prot as never }), InvalidArgumentError]),
  ...[['public'], [undefined], ['SHARED']].map(([share]): Case => [`map with share ${String(share)}`, map({ share: share as never }), InvalidArgumentError]),
  ['map anonymous memory at an offset', map({ offset: PS }), InvalidArgumentError],
  [
    'map an object at an unaligned offset',
    (s) => s.map({ object: s.vm.createMemoryObject({ size: PS }), offset: 7, length: PS, prot: 'read', share: 'shared' }),
    InvalidArgumentError,
  ],
  ['map something that is not a memory object', (s) => s.map({ object: {} as never, length: PS, prot: 'read', share: 'shared' }), InvalidArgumentError],
  ['map an empty path', (s) => s.map({ file: '', length: PS, prot: 'read', share: 'shared' }), InvalidArgumentError],
  ['map a path that is not a string', (s) => s.map({ file: 42 as never, length: PS, prot: 'read', share: 'shared' }), InvalidArgumentError],
  ...(['unmap', 'protect', 'sync'] as const).flatMap((op): Case[] => {
    const call = (s: AddressSpace, address: unknown, length: unknown): unknown =>
      op === 'protect' ? s.protect(address as number, length as number, 'read') : s[op](address as number, length as number);
    return [
      [`${op} at an unaligned address`, (s) => call(s, 4 * PS + 1, PS), InvalidArgumentError],
      ...NOT_INDEXES.map(([label, v]): Case => [`${op} at a ${label} address`, (s) => call(s, v, PS), InvalidArgumentError]),
      // munmap(2) refuses a length of 0 (EINVAL); mprotect and msync accept it and do nothing (item 4 of issue 11).
      ...(op === 'unmap' ? [[`${op} of a zero length`, (s: AddressSpace) => call(s, 4 * PS, 0), InvalidArgumentError] as Case] : []),
      ...NOT_INDEXES.map(([label, v]): Case => [`${op} of a ${label} length`, (s) => call(s, 4 * PS, v), InvalidArgumentError]),
      [`${op} of a range wrapping past 2^53`, (s) => call(s, LIMIT - PS, 2 * PS), OutOfRangeError],
    ];
  }),
  ['protect with a bad prot', (s) => s.protect(4 * PS, PS, 'rwx' as never), InvalidArgumentError],
  ['sync with an unknown option', (s) => s.sync(4 * PS, PS, { invalidat: true } as never), InvalidArgumentError],
  ['sync with invalidate not a boolean', (s) => s.sync(4 * PS, PS, { invalidate: 'yes' as never }), InvalidArgumentError],
  ['sync with async not a boolean', (s) => s.sync(4 * PS, PS, { async: 1 as never }), InvalidArgumentError],
  ['sync with options not an object', (s) => s.sync(4 * PS, PS, 'async' as never), InvalidArgumentError],
  ...NOT_INDEXES.flatMap(([label, v]): Case[] => [
    [`read at a ${label} address`, (s) => s.read(v as number, 1), InvalidArgumentError],
    [`read of a ${label} length`, (s) => s.read(4 * PS, v as number), InvalidArgumentError],
    [`readSync at a ${label} address`, (s) => s.readSync(v as number, 1), InvalidArgumentError],
    [`write at a ${label} address`, (s) => s.write(v as number, Uint8Array.of(1)), InvalidArgumentError],
    [`writeSync at a ${label} address`, (s) => s.writeSync(v as number, Uint8Array.of(1)), InvalidArgumentError],
    [`trap at a ${label} address`, (s) => s.trap(v as number, 'read'), InvalidArgumentError],
    [`getUint32 at a ${label} address`, (s) => s.getUint32(v as number), InvalidArgumentError],
    [`setUint8 at a ${label} address`, (s) => s.setUint8(v as number, 1), InvalidArgumentError],
    [`getBigUint64 at a ${label} address`, (s) => s.getBigUint64(v as number), InvalidArgumentError],
  ]),
  ['read of a range wrapping past 2^53', (s) => s.read(LIMIT - 2, 4), OutOfRangeError],
  ['write of something that is not a Uint8Array', (s) => s.write(4 * PS, [1, 2] as never), InvalidArgumentError],
  ['writeSync of a string', (s) => s.writeSync(4 * PS, 'ab' as never), InvalidArgumentError],
  ['trap for a bad access', (s) => s.trap(4 * PS, 'rw' as never), InvalidArgumentError],
  ['trap of a zero length', (s) => s.trap(4 * PS, 'read', 0), InvalidArgumentError],
  ['setUint8 of 256', (s) => s.setUint8(4 * PS, 256), InvalidArgumentError],
  ['setUint16 of -1', (s) => s.setUint16(4 * PS, -1), InvalidArgumentError],
  ['setUint32 of 2^32', (s) => s.setUint32(4 * PS, 2 ** 32), InvalidArgumentError],
  ['setUint32 of 1.5', (s) => s.setUint32(4 * PS, 1.5), InvalidArgumentError],
  ['setBigUint64 of -1n', (s) => s.setBigUint64(4 * PS, -1n), InvalidArgumentError],
  ['setBigUint64 of 2^64', (s) => s.setBigUint64(4 * PS, 1n << 64n), InvalidArgumentError],
  ['setBigUint64 of a number', (s) => s.setBigUint64(4 * PS, 1 as never), InvalidArgumentError],
];

describe('bad input: a typed error, nothing changed', () => {
  it.each(cases)('%s', async (_label, call, error) => {
    const before = await snapshot(t.space);
    const err = await failureOf(() => call(t.space));
    expect(err).toBeInstanceOf(error);
    expect(err).toBeInstanceOf(SpinVmError);
    // Objects a case made for itself are not part of the address space's state.
    for (const o of t.vm.memoryObjects()) if (o.name.startsWith('object-')) await o.destroy();
    expect(await snapshot(t.space)).toEqual(before);
  });

  it('createAddressSpace without an instance', () => {
    expect(() => createAddressSpace(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => createAddressSpace({} as never)).toThrow(InvalidArgumentError);
  });

  it('mapping a destroyed memory object: DestroyedError', async () => {
    const object = t.vm.createMemoryObject({ size: PS });
    await object.destroy();
    await expect(t.space.map({ object, length: PS, prot: 'read', share: 'shared' })).rejects.toBeInstanceOf(DestroyedError);
  });
});

describe('a destroyed address space', () => {
  const calls: ReadonlyArray<readonly [string, (s: AddressSpace) => unknown]> = [
    ['map', map({})],
    ['unmap', (s) => s.unmap(4 * PS, PS)],
    ['protect', (s) => s.protect(4 * PS, PS, 'read')],
    ['sync', (s) => s.sync(4 * PS, PS)],
    ['fork', (s) => s.fork()],
    ['trap', (s) => s.trap(4 * PS, 'read')],
    ['read', (s) => s.read(4 * PS, 1)],
    ['write', (s) => s.write(4 * PS, Uint8Array.of(1))],
    ['readSync', (s) => s.readSync(4 * PS, 1)],
    ['writeSync', (s) => s.writeSync(4 * PS, Uint8Array.of(1))],
    ['getUint8', (s) => s.getUint8(4 * PS)],
    ['setUint32', (s) => s.setUint32(4 * PS, 1)],
    ['getBigUint64', (s) => s.getBigUint64(4 * PS)],
    ['setBigUint64', (s) => s.setBigUint64(4 * PS, 1n)],
    ['stat', (s) => s.stat()],
    ['mappings', (s) => s.mappings()],
  ];
  it.each(calls)('%s throws DestroyedError; destroy again is harmless', async (_label, call) => {
    await t.space.destroy();
    expect(t.space.isDestroyed).toBe(true);
    await expect(failureOf(() => call(t.space))).resolves.toBeInstanceOf(DestroyedError);
    await t.space.destroy();
  });
});
