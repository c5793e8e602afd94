// Level 1: the pager alone, called the way spinvm calls it (page-in, then page-out, in turn, per page), one
// check per promise of the pager contract. A check that does not apply to the declared capabilities says why
// (`skip`); a capability declared absent is checked absent (a pager without page-out must refuse a dirty one).

import { MAX_FLUSH_RUN, ResultCode } from '../vmcore/index.js';
import type { ConformanceCheck } from './checks.js';
import { checkMaker } from './harness/check-maker.js';
import { codeName, ConformanceFailure, expectCode, sameBytes } from './harness/failure.js';
import { markPage, patternPage, stampPage } from './harness/patterns.js';
import { GuardedFrame, Subject } from './harness/subject.js';
import type { CheckedTarget } from './target.js';

/** Pages near 2^32: page numbers are not 32-bit. */
const FAR_PAGES = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1];

/** Makes a pager, runs `body` with it, and destroys it (quietly if the body failed). */
async function withSubject(target: CheckedTarget, label: string, body: (s: Subject) => Promise<void>): Promise<void> {
  const s = await Subject.make(target, label);
  try {
    await body(s);
  } catch (err) {
    await s.dispose();
    throw err;
  }
  await s.destroy();
}

/** The level-1 checks: the pager alone, called the way spinvm calls it (page-in, then page-out, in turn, per page). */
export function levelOneChecks(t: CheckedTarget): ConformanceCheck[] {
  const c = t.capabilities;
  const ps = t.pageSize;
  const pageCount = c.maxPages;
  const far = pagesWithin([0, 1, 2, 7, 1000, 2 ** 20 + 1, ...FAR_PAGES, pageCount - 1], pageCount);
  const check = checkMaker(1, ps);

  return [
    check('init-destroy', 'init and destroy: a fresh pager takes a context and is destroyed cleanly', undefined, async () => {
      const idle = await Subject.make(t, 'init-destroy');
      await idle.destroy();
      await withSubject(t, 'init-destroy', async (s) => {
        await s.read(0);
      });
    }),

    check('fills-frame', 'page-in fills exactly the frame it is given (every byte, nothing outside it)', undefined, async () => {
      await withSubject(t, 'fills-frame', async (s) => {
        // Two different fillings: a pager that leaves the frame alone cannot match both.
        for (const [page, fill] of [
          [0, 0xa7],
          [1, 0x00],
          [2, 0x5c],
          [3, 0xff],
        ] as const) {
          sameBytes(await s.read(page, fill), s.initial(page), `pageIn(${page}) into a frame filled with ${fill}`);
        }
      });
    }),

    check('never-written', `never-written pages read as ${c.zeroFill ? 'zeros' : 'declared by initialPage'}, far apart and near 2^32`, undefined, async () => {
      await withSubject(t, 'never-written', async (s) => {
        for (const page of far) sameBytes(await s.read(page), s.initial(page), `never-written page ${page}`);
      });
    }),

    check(
      'page-number',
      'page-in honours the page number: each page comes back in its own place, neighbours untouched',
      !c.pageOut && c.zeroFill ? 'a zero-fill pager without page-out serves every page alike' : undefined,
      async () => {
        await withSubject(t, 'page-number', async (s) => {
          if (!c.pageOut) {
            // Nothing can be written: the declared contents must differ where they differ.
            for (const page of far) sameBytes(await s.read(page), s.initial(page), `page ${page}`);
            return;
          }
          const written = pagesWithin([0, 1, 2, 3, 10, 2 ** 32 - 2, 2 ** 32, 2 ** 32 + 1], pageCount);
          for (const page of written) {
            await s.read(page);
            await s.write(page, patternPage(ps, page * 31 + 1));
          }
          for (const page of [...written].reverse())
            sameBytes(await s.read(page), patternPage(ps, page * 31 + 1), `page ${page} after pages ${written.join(', ')} were written`);
          for (const page of pagesWithin([4, 9, 11, 2 ** 32 - 3], pageCount))
            sameBytes(await s.read(page), s.initial(page), `never-written page ${page}, next to written ones`);
        });
      },
    ),

    check(
      'round-trip',
      'page-out then page-in returns the same bytes: far apart, near 2^32, rewritten, and after a clean page-out',
      c.pageOut ? undefined : 'page-out is declared absent',
      async () => {
        await withSubject(t, 'round-trip', async (s) => {
          const pages = pagesWithin([0, 2 ** 16 + 3, ...FAR_PAGES], pageCount);
          for (const page of pages) {
            await s.read(page);
            const first = patternPage(ps, page + 1);
            await s.write(page, first);
            sameBytes(await s.read(page), first, `page ${page} after a page-out`);
            const second = patternPage(ps, page + 77);
            await s.write(page, second);
            const back = await s.read(page);
            sameBytes(back, second, `page ${page} after it was paged out a second time`);
            // Evicted unchanged: spinvm asks with dirty=false, and the page must survive it.
            const g = new GuardedFrame(ps, 0);
            g.frame.set(back);
            expectCode(`pageOut(${page}, dirty=false)`, await s.pageOut(page, g.frame, false), ResultCode.Success, ResultCode.AlreadyPagedOut);
            g.frame.fill(0x99);
            sameBytes(await s.read(page), second, `page ${page} after a clean page-out`);
          }
        });
      },
    ),

    check(
      'page-out-run',
      'pageOutRun (the flush path) writes each page of a run where it belongs',
      c.pageOut ? undefined : 'page-out is declared absent',
      async () => {
        await withSubject(t, 'page-out-run', async (s) => {
          for (const first of pagesWithin([20, 2 ** 32 - 2], pageCount - 3)) {
            const pages = [first, first + 1, first + 2, first + 3];
            for (const page of pages) await s.read(page);
            await s.pageOutRun(
              first,
              pages.map((page) => patternPage(ps, page * 5 + 3)),
            );
            for (const page of pages) sameBytes(await s.read(page), patternPage(ps, page * 5 + 3), `page ${page} after pageOutRun(${first}, 4 frames)`);
          }
        });
      },
    ),

    check(
      'page-in-run',
      'pageInRun fills each frame of a run with its own page, as pageIn does, whether the frames lie next to each other or apart; pageInRunLength answers a whole number of pages, at least 1',
      undefined,
      async () => {
        await withSubject(t, 'page-in-run', async (s) => {
          // A pager made against a spinvm from before run page-in has neither method: vmcore pages it page by page.
          if (typeof s.pager.pageInRun !== 'function') return;
          for (const first of pagesWithin([0, 30, 2 ** 20 - 3, 2 ** 32 - 2], pageCount - 8)) {
            const pages = Array.from({ length: 8 }, (_, i) => first + i);
            if (c.pageOut) for (const page of pages.filter((p) => p % 3 !== 1)) await s.write(page, patternPage(ps, page * 7 + 1));
            const expected: Uint8Array[] = [];
            // Each page read is given back clean (when the pager pages out), as spinvm evicts it, so pagers that track state see the run's page-ins in turn.
            const giveBack = async (page: number, bytes: Uint8Array): Promise<void> => {
              if (!c.pageOut) return;
              const g = new GuardedFrame(ps, 0);
              g.frame.set(bytes);
              expectCode(`pageOut(${page}, dirty=false)`, await s.pageOut(page, g.frame, false), ResultCode.Success, ResultCode.AlreadyPagedOut);
            };
            for (const page of pages) {
              expected.push(await s.read(page));
              await giveBack(page, expected.at(-1)!);
            }
            const length = s.pager.pageInRunLength(first, 'read');
            if (!Number.isInteger(length) || length < 1)
              throw new ConformanceFailure(`pageInRunLength(${first}) answered ${String(length)}, not a whole number of pages ≥ 1`);
            // Next to each other in one buffer, as frames adjacent in the pool are; then apart, each guarded.
            const together = new Uint8Array(8 * ps).fill(0xa7);
            const apart = pages.map(() => new GuardedFrame(ps, 0xa7));
            for (const [how, frames] of [
              ['adjacent', pages.map((_, i) => together.subarray(i * ps, (i + 1) * ps))],
              ['scattered', apart.map((g) => g.frame)],
            ] as const) {
              const what = `pageInRun(${first}, 8 ${how} frames)`;
              const codes = await s.pageInRun(first, [...frames]);
              expectCode(`${what}, page ${first}`, codes[0]!, ResultCode.Success);
              for (const [i, code] of codes.entries()) {
                if (code !== ResultCode.Success) continue;
                sameBytes(frames[i]!, expected[i]!, `page ${first + i} (frame ${i + 1} of 8) from ${what}`);
                await giveBack(first + i, frames[i]!);
              }
            }
            apart.forEach((g, i) => g.checkGuards(`pageInRun(${first}, 8 scattered frames), frame ${i + 1}`));
          }
        });
      },
    ),

    check(
      'long-runs',
      `full-length runs: pageOutRun of ${MAX_FLUSH_RUN} pages (the most a flush hands over at once) and longer writes every page where it belongs`,
      c.pageOut ? undefined : 'page-out is declared absent',
      async () => {
        await withSubject(t, 'long-runs', async (s) => {
          const all: Array<[number, number]> = [
            [100, MAX_FLUSH_RUN],
            [300, MAX_FLUSH_RUN + 1],
            [2 ** 20 - MAX_FLUSH_RUN, 2 * MAX_FLUSH_RUN + 3],
            [2 ** 32 - MAX_FLUSH_RUN, MAX_FLUSH_RUN],
          ];
          const runs = all.filter(([first, n]) => first + n < pageCount);
          if (runs.length === 0) runs.push([1, Math.min(MAX_FLUSH_RUN, pageCount - 2)]);
          for (const [first, n] of runs) {
            const pages = Array.from({ length: n }, (_, i) => first + i);
            for (const page of pages) await s.read(page);
            await s.pageOutRun(
              first,
              pages.map((page) => stampPage(ps, page, 1)),
            );
            for (const page of pages)
              await s.expect(page, stampPage(ps, page, 1), `page ${page} (frame ${page - first + 1} of ${n}) after pageOutRun(${first}, ${n} frames)`);
            for (const page of [first - 1, first + n])
              sameBytes(await s.read(page), s.initial(page), `never-written page ${page}, just outside pageOutRun(${first}, ${n} frames)`);
          }
        });
      },
    ),

    check(
      'many-pages',
      `thousands of pages in one pager: ${manyPages(pageCount).length} pages spread over the object (past 2^16 and 2^20${pageCount > 2 ** 32 ? ', near 2^32' : ''}) each ${c.pageOut ? 'come back as written' : 'read as declared'}, neighbours untouched`,
      undefined,
      async () => {
        await withSubject(t, 'many-pages', async (s) => {
          const pages = manyPages(pageCount);
          const expected = (page: number): Uint8Array => (c.pageOut ? markPage(ps, page, 7) : s.initial(page));
          const BATCH = 64; // at once, as spinvm's faults come: an asynchronous pager is not called 10 000 times in turn
          const inBatches = async (list: number[], body: (page: number) => Promise<void>): Promise<void> => {
            for (let i = 0; i < list.length; i += BATCH) await Promise.all(list.slice(i, i + BATCH).map(body));
          };
          if (c.pageOut) {
            await inBatches(pages, async (page) => {
              await s.read(page);
              await s.write(page, expected(page));
            });
          }
          // Read back in another order: every page, then every never-written neighbour.
          const order = [...pages].sort((a, b) => (a % 1009) - (b % 1009) || b - a);
          await inBatches(order, async (page) => {
            sameBytes(await s.read(page), expected(page), `page ${page}, one of ${pages.length}${c.pageOut ? ' written' : ''} (read back after all of them)`);
          });
          const set = new Set(pages);
          const neighbours = pagesWithin(
            pages.filter((_, i) => i % 13 === 0).flatMap((p) => [p - 1, p + 1]),
            pageCount,
          ).filter((p) => !set.has(p));
          await inBatches(neighbours, async (page) => {
            sameBytes(await s.read(page), s.initial(page), `never-written page ${page}, between ${pages.length} written ones`);
          });
        });
      },
    ),

    check(
      'rewrite-initial',
      `rewrites to nothing new: a written page rewritten to all zeros${c.zeroFill ? '' : ' and to its initial contents'} reads back so (also after a clean page-out), and can be written again`,
      c.pageOut ? undefined : 'page-out is declared absent',
      async () => {
        await withSubject(t, 'rewrite-initial', async (s) => {
          const zeros = new Uint8Array(ps);
          for (const page of pagesWithin([3, 2 ** 16 + 1, 2 ** 20 + 3, 2 ** 32 + 1], pageCount)) {
            const data = patternPage(ps, page * 7 + 1);
            await s.read(page);
            await s.write(page, data);
            await s.expect(page, data, `page ${page} after it was written`);
            await s.read(page);
            await s.write(page, zeros);
            await s.expect(page, zeros, `page ${page} after it was rewritten to all zeros`);
            await s.expect(page, zeros, `page ${page}, rewritten to all zeros, after a clean page-out`);
            const again = patternPage(ps, page * 7 + 2);
            await s.read(page);
            await s.write(page, again);
            await s.expect(page, again, `page ${page} written again after all zeros`);
            await s.read(page);
            await s.write(page, s.initial(page));
            await s.expect(page, s.initial(page), `page ${page} after it was rewritten to its initial contents${c.zeroFill ? ' (zeros)' : ''}`);
          }
          // A page of zeros but one byte: not the same as zeros.
          const page = 5;
          const almost = new Uint8Array(ps);
          almost[ps - 1] = 1;
          await s.read(page);
          await s.write(page, patternPage(ps, 55));
          await s.read(page);
          await s.write(page, almost);
          await s.expect(page, almost, `page ${page} after it was rewritten to zeros but its last byte`);
        });
      },
    ),

    check(
      'shared-contents',
      'pages with identical contents stay independent: equal pages written apart, then one rewritten (wholly, then by one byte), the others unchanged',
      c.pageOut ? undefined : 'page-out is declared absent',
      async () => {
        await withSubject(t, 'shared-contents', async (s) => {
          const pages = pagesWithin([10, 11, 40, 2 ** 20 + 7, 2 ** 32], pageCount);
          const [a, b, ...rest] = pages as [number, number, ...number[]];
          const shared = patternPage(ps, 4242);
          const other = patternPage(ps, 4343);
          const oneByte = shared.slice();
          oneByte[ps >> 1] ^= 0x80;
          const now = new Map<number, Uint8Array>();
          const write = async (page: number, bytes: Uint8Array): Promise<void> => {
            await s.read(page);
            await s.write(page, bytes);
            now.set(page, bytes);
          };
          const all = async (after: string): Promise<void> => {
            for (const page of pages) await s.expect(page, now.get(page)!, `page ${page} after ${after}`);
          };
          for (const page of pages) await write(page, shared);
          await all(`pages ${pages.join(', ')} were written with the same contents`);
          await write(a, other);
          await all(`page ${a} was rewritten (the others keep the contents it had)`);
          await write(b, oneByte);
          await all(`page ${b} was rewritten with one byte changed`);
          await write(a, shared);
          await all(`page ${a} was written back to the shared contents`);
          if (rest.length > 0) {
            await write(rest[0]!, other);
            await write(rest[0]!, oneByte);
            await all(`page ${rest[0]} was rewritten twice, to the contents of pages ${a} and then ${b}`);
          }
        });
      },
    ),

    check(
      'already-paged',
      'AlreadyPagedIn for a page in memory, AlreadyPagedOut for a page already out',
      c.tracksState ? undefined : 'the pager does not declare tracksState',
      async () => {
        await withSubject(t, 'already-paged', async (s) => {
          await s.read(5);
          expectCode('a second pageIn(5) with no page-out between', await s.pageIn(5, new Uint8Array(ps)), ResultCode.AlreadyPagedIn);
          if (!c.pageOut) return;
          await s.read(6);
          await s.write(6, patternPage(ps, 6));
          const again = new Uint8Array(ps);
          again.set(patternPage(ps, 6));
          expectCode('pageOut(6, dirty=false) of a page already paged out', await s.pageOut(6, again, false), ResultCode.AlreadyPagedOut);
          sameBytes(await s.read(6), patternPage(ps, 6), 'page 6 after AlreadyPagedOut');
        });
      },
    ),

    check(
      'not-implemented',
      'NotImplemented for a dirty page-out, and the page unchanged afterwards',
      c.pageOut ? 'page-out is declared' : undefined,
      async () => {
        await withSubject(t, 'not-implemented', async (s) => {
          for (const page of pagesWithin([0, 2 ** 32], pageCount)) {
            const before = await s.read(page);
            const g = new GuardedFrame(ps, 0);
            g.frame.set(patternPage(ps, page + 5));
            expectCode(`pageOut(${page}, dirty=true) of a pager declared without page-out`, await s.pageOut(page, g.frame, true), ResultCode.NotImplemented);
            g.checkGuards(`pageOut(${page})`);
            // The object keeps the page resident; once it is gone, the page reads as before.
            sameBytes(await s.read(page), before, `page ${page} after a refused page-out`);
          }
        });
      },
    ),

    check('in-flight', 'many pages in flight at once: 64 page-ins (and page-outs) started together all land right', undefined, async () => {
      await withSubject(t, 'in-flight', async (s) => {
        const pages = pagesWithin([...Array.from({ length: 48 }, (_, i) => i * 3), ...Array.from({ length: 16 }, (_, i) => 2 ** 32 - 14 + i)], pageCount);
        const frames = pages.map(() => new GuardedFrame(ps, 0xa7));
        const codes = await Promise.all(pages.map((page, i) => s.pageIn(page, frames[i]!.frame)));
        pages.forEach((page, i) => {
          expectCode(`pageIn(${page}) among ${pages.length} at once`, codes[i]!, ResultCode.Success);
          frames[i]!.checkGuards(`pageIn(${page})`);
          sameBytes(frames[i]!.frame, s.initial(page), `page ${page}, paged in with ${pages.length - 1} others at once`);
        });
        if (!c.pageOut) return;
        const out = pages.map((page) => {
          const g = new GuardedFrame(ps, 0);
          g.frame.set(patternPage(ps, page * 3 + 2));
          return g;
        });
        const outCodes = await Promise.all(pages.map((page, i) => s.pageOut(page, out[i]!.frame, true)));
        pages.forEach((page, i) => expectCode(`pageOut(${page}) among ${pages.length} at once`, outCodes[i]!, ResultCode.Success));
        for (const g of out) g.frame.fill(0x3c);
        const back = pages.map(() => new GuardedFrame(ps, 0xa7));
        const inCodes = await Promise.all(pages.map((page, i) => s.pageIn(page, back[i]!.frame)));
        pages.forEach((page, i) => {
          expectCode(`pageIn(${page}) among ${pages.length} at once`, inCodes[i]!, ResultCode.Success);
          back[i]!.checkGuards(`pageIn(${page})`);
          sameBytes(back[i]!.frame, patternPage(ps, page * 3 + 2), `page ${page}, written and read back with ${pages.length - 1} others at once`);
        });
      });
    }),

    check(
      'destroyed',
      'PagerDestroyed from page-in and page-out after destroy',
      c.answersDestroyed ? undefined : 'the pager does not declare answersDestroyed (spinvm asks nothing of a destroyed pager)',
      async () => {
        const s = await Subject.make(t, 'destroyed');
        try {
          await s.read(0);
          if (c.pageOut) await s.write(0, patternPage(ps, 9));
        } catch (err) {
          await s.dispose();
          throw err;
        }
        await s.destroy();
        expectCode('pageIn(1) after destroy()', await s.pageIn(1, new Uint8Array(ps)), ResultCode.PagerDestroyed);
        expectCode('pageIn(0) after destroy()', await s.pageIn(0, new Uint8Array(ps)), ResultCode.PagerDestroyed);
        expectCode('pageOut(0) after destroy()', await s.pageOut(0, new Uint8Array(ps), true), ResultCode.PagerDestroyed);
      },
    ),

    check(
      'frame-size',
      'a frame that is not exactly one page is refused (thrown, rejected or a failure code)',
      c.checksFrames ? undefined : 'the pager does not declare checksFrames (spinvm only hands a pager whole pages)',
      async () => {
        await withSubject(t, 'frame-size', async (s) => {
          const refused = async (what: string, call: () => unknown): Promise<void> => {
            const outcome = await s.attempt(what, call);
            if (
              outcome.error === undefined &&
              (outcome.code === ResultCode.Success || outcome.code === ResultCode.AlreadyPagedIn || outcome.code === ResultCode.AlreadyPagedOut)
            ) {
              throw new ConformanceFailure(`${what} answered ${codeName(outcome.code)}: a frame of the wrong size must be refused`);
            }
          };
          for (const length of [ps - 1, ps + 1, ps / 2, 0]) {
            await refused(`pageIn(3) into a ${length}-byte frame`, () => s.pager.pageIn(3, new Uint8Array(length), 'read'));
          }
          const proper = await s.read(3);
          if (c.pageOut) {
            for (const length of [ps - 1, ps * 2]) {
              await refused(`pageOut(3) of a ${length}-byte frame`, () => s.pager.pageOut(3, new Uint8Array(length).fill(0x42), true));
            }
          }
          sameBytes(proper, s.initial(3), 'page 3');
        });
      },
    ),

    check(
      'persistent',
      'what was paged out survives destroy: a reopened pager reads it back',
      c.persistent ? undefined : 'the pager is not declared persistent',
      async () => {
        const first = await Subject.make(t, 'persistent');
        const pages = pagesWithin([0, 5, 2 ** 32], pageCount);
        try {
          for (const page of pages) {
            await first.read(page);
            if (c.pageOut) await first.write(page, patternPage(ps, page + 11));
          }
        } catch (err) {
          await first.dispose();
          throw err;
        }
        await first.destroy();
        const second = await Subject.make(t, 'persistent', () => t.reopen!(first.pager));
        try {
          for (const page of pages)
            sameBytes(await second.read(page), c.pageOut ? patternPage(ps, page + 11) : second.initial(page), `page ${page} after destroy and reopen`);
          sameBytes(await second.read(7), second.initial(7), 'never-written page 7 after reopen');
        } catch (err) {
          await second.dispose();
          throw err;
        }
        await second.destroy();
      },
    ),
  ];
}

/**
 * The pages of the many-pages check: a dense block, a spread over the first 2^23 pages (past 2^16 and 2^20)
 * with an odd stride, and clusters either side of 2^16, 2^20, 2^31 and 2^32: more than 4096 pages in all
 * when the object has 2^20 pages or more.
 */
export function manyPages(pageCount: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < 512; p++) out.push(p);
  const limit = Math.min(pageCount, 2 ** 23);
  const spread = 3600;
  const stride = Math.max(1, Math.floor((limit - 600) / spread)) | 1;
  for (let i = 0; i < spread; i++) out.push(560 + i * stride);
  for (const boundary of [2 ** 16, 2 ** 20, 2 ** 31, 2 ** 32]) for (let d = -64; d < 64; d++) out.push(boundary + d);
  return pagesWithin(out, pageCount - 1);
}

/** The pages of `candidates` an object of `pageCount` pages has, without repeats, in order. */
function pagesWithin(candidates: readonly number[], pageCount: number): number[] {
  return [...new Set(candidates.filter((p) => p >= 0 && p < pageCount))];
}
