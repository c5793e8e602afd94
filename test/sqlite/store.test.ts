// The in-memory file store against a plain byte array: seeded writes, reads and cuts across chunk boundaries,
// through a pool far smaller than the file, so every path (resident, faulting, chunk never made) is taken.
import { afterEach, expect, it } from 'vitest';
import { createVm, useDefaultPager, type Vm } from '../../index.js';
import { ObjectStore, SqliteFileFullError } from '../../extensions/sqlite/index.js';
import { Prng } from '../helpers/prng.js';

/** Byte equality (expect's deep equality is slow on long arrays). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.destroy();
  vm = undefined;
});

it.each([1, 2, 3])('an ObjectStore of 1 KiB chunks reads back what a byte array holds (seed %i)', async (seed) => {
  vm = createVm({ pageSize: 512, frames: 8 });
  await useDefaultPager(vm);
  const v = vm;
  const chunk = 1024;
  let made = 0;
  const store = new ObjectStore('model', 64 * 1024, chunk, () => {
    made++;
    return v.createMemoryObject({ size: chunk });
  });
  const rng = new Prng(seed);
  let model = new Uint8Array(0);
  for (let step = 0; step < 400; step++) {
    const op = rng.weighted({ write: 5, read: 4, truncate: 1 });
    if (op === 'write') {
      const offset = rng.int(model.length + 3000);
      const bytes = new Uint8Array(rng.range(1, 1500)).map(() => rng.int(256));
      // As SqliteFiles does: the resident path only within the file.
      if (offset + bytes.length > store.size || !store.tryWrite(offset, bytes)) await store.write(offset, bytes);
      if (offset + bytes.length > model.length) {
        const grown = new Uint8Array(offset + bytes.length);
        grown.set(model);
        model = grown;
      }
      model.set(bytes, offset);
    } else if (op === 'read' && model.length > 0) {
      const offset = rng.int(model.length);
      const dest = new Uint8Array(rng.range(0, model.length - offset)).fill(0xee);
      if (!store.tryRead(offset, dest)) await store.read(offset, dest);
      expect(same(dest, model.subarray(offset, offset + dest.length)), `step ${step}: read ${dest.length} at ${offset}`).toBe(true);
    } else if (op === 'truncate') {
      const size = rng.chance(0.2) ? 0 : rng.int(model.length + 2000);
      await store.truncate(size);
      const cut = new Uint8Array(size);
      cut.set(model.subarray(0, Math.min(size, model.length)));
      model = cut;
    }
    expect(store.size).toBe(model.length);
  }
  const all = new Uint8Array(model.length);
  await store.read(0, all);
  expect(same(all, model)).toBe(true);
  expect(made).toBeGreaterThan(10); // chunks were made, given back and made again
  await store.destroy();
  expect(v.stat().objects).toBe(0);
});

it('refuses a write or a growth past its capacity, changing nothing', async () => {
  vm = createVm({ pageSize: 512, frames: 8 });
  const v = vm;
  const store = new ObjectStore('small', 4096, 1024, () => v.createMemoryObject({ size: 1024 }));
  await store.write(0, new Uint8Array(4096).fill(1));
  await expect(store.write(4000, new Uint8Array(200))).rejects.toBeInstanceOf(SqliteFileFullError);
  await expect(store.truncate(4097)).rejects.toMatchObject({ code: 'SPINVM_SQLITE_FILE_FULL', end: 4097, capacity: 4096 });
  expect(store.size).toBe(4096);
  const back = new Uint8Array(4096);
  await store.read(0, back);
  expect(back.every((b) => b === 1)).toBe(true);
});
