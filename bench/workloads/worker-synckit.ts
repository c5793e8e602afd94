// synckit's worker for the `worker` workload: the peer of spinvm's fault round trip. The bench's worker thread
// calls it through createSyncFn and blocks until it answers; it does what the synchronous pager and the read
// do on spinvm's side: copies the page out of the store, then reads the word. synckit is an optional peer,
// loaded by a computed specifier (the package imports nothing its dependencies do not bring).
import { fillPage, makeStore, pageByte, type StoreShape } from './worker-store.js';

const SYNCKIT = 'synckit';
const { runAsWorker } = (await import(SYNCKIT)) as { runAsWorker: (fn: (page: number, shape?: StoreShape) => Promise<number>) => void };

let store: Uint8Array | undefined;
let frame: Uint8Array | undefined;
let pageSize = 0;

/** The first call brings the store's shape (synckit gives its workers no data of their own). */
runAsWorker(async (page: number, shape?: StoreShape): Promise<number> => {
  if (shape !== undefined) {
    store = makeStore(shape);
    pageSize = shape.pageSize;
    frame = new Uint8Array(pageSize);
  }
  const f = frame!;
  fillPage(store!, pageSize, page, f);
  const o = pageByte(page, pageSize);
  return (f[o]! | (f[o + 1]! << 8) | (f[o + 2]! << 16) | (f[o + 3]! << 24)) >>> 0;
});
