/** Container keys the pagers add to an instance's container. */
export const PAGER_TOKENS = {
  /** SwapSpace: where the default pager pages out to. */
  SwapSpace: Symbol.for('spinvm.SwapSpace'),
  /** FileSystem: the file system pagers use (real files when unbound). */
  FileSystem: Symbol.for('spinvm.FileSystem'),
} as const;
