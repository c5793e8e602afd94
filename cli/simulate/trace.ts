import { readFile } from 'node:fs/promises';

/**
 * A page-reference trace. Each distinct page is given a dense id in order of first reference; `refs` is the
 * sequence of ids and `labels[id]` how the page was written (`7`, or `obj:7`). The id doubles as the page's
 * key for policies that remember evicted pages.
 */
export interface Trace {
  readonly refs: Int32Array;
  readonly labels: readonly string[];
  /** Number of distinct pages. */
  readonly distinct: number;
}

/** A line of a trace that is not a reference: `line` is 1-based. */
export class TraceError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
    this.name = 'TraceError';
  }
}

const PAGE = /^(0|[1-9][0-9]*)$/;
const OBJECT = /^[A-Za-z0-9_.\-/]+$/;

/**
 * Parses a trace: one reference per line, either a page number (`7`) or `object:page` (`file.db:7`, the
 * object being any name of letters, digits and `_ . - /`). Several references may share a line, separated by
 * white space. `#` starts a comment; blank lines are ignored. Anything else is a TraceError naming the line.
 */
export function parseTrace(text: string, source = 'trace'): Trace {
  const ids = new Map<string, number>();
  const labels: string[] = [];
  let refs = new Int32Array(1024);
  let n = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    for (const token of line.split(/\s+/)) {
      const label = canonical(token, source, i + 1);
      let id = ids.get(label);
      if (id === undefined) {
        id = labels.length;
        ids.set(label, id);
        labels.push(label);
      }
      if (n === refs.length) {
        const grown = new Int32Array(refs.length * 2);
        grown.set(refs);
        refs = grown;
      }
      refs[n++] = id;
    }
  }
  return { refs: refs.slice(0, n), labels, distinct: labels.length };
}

function canonical(token: string, source: string, line: number): string {
  const colon = token.lastIndexOf(':');
  const object = colon >= 0 ? token.slice(0, colon) : undefined;
  const page = colon >= 0 ? token.slice(colon + 1) : token;
  if (object !== undefined && !OBJECT.test(object)) {
    throw new TraceError(source, line, `bad object name in '${token}' (expected NAME:PAGE)`);
  }
  if (!PAGE.test(page) || !Number.isSafeInteger(Number(page))) {
    throw new TraceError(source, line, `'${token}' is not a page reference (expected a non-negative page number or OBJECT:PAGE)`);
  }
  return object === undefined ? page : `${object}:${page}`;
}

/** A trace from page numbers (for tests and programmatic use). */
export function traceOf(pages: ArrayLike<number | string>): Trace {
  return parseTrace(Array.from(pages, String).join('\n'), 'pages');
}

/** Reads and parses a trace file. */
export async function readTrace(path: string): Promise<Trace> {
  return parseTrace(await readFile(path, 'utf8'), path);
}
