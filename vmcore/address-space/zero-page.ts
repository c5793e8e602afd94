/**
 * The zero page (Pedigree: "reads get mapped to a single zero page", so anonymous memory that has not been
 * written uses no memory). One read-only page of zeros per page size, shared by every address space of the
 * process, of every instance.
 *
 * Nobody may write it. It is the source of every first write to anonymous memory (copy-up copies it into
 * the new page) and stands for every page never written: a byte stored in it would appear in every
 * anonymous page any address space of the process allocates afterwards, and leak data between instances.
 * JavaScript cannot make a typed array read-only, so the rule is kept by its users: it is only ever the
 * source of a copy (MemoryObject.write / writeSync copy from it, and keep no reference), never handed to a
 * caller, a pager or an event. Reads of unwritten pages do not even touch it: they fill the caller's buffer
 * with zeros. test/address-space/zero-page.test.ts checks it stays zero.
 */
const pages = new Map<number, Uint8Array>();

/** The zero page for `pageSize` (a power of two: a handful of sizes, so the map stays tiny). */
export function zeroPage(pageSize: number): Uint8Array {
  let page = pages.get(pageSize);
  if (page === undefined) pages.set(pageSize, (page = new Uint8Array(pageSize)));
  return page;
}
