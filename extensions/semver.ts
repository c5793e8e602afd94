/**
 * The part of semver the extension API needs: strict versions (`1.2.3`, optionally `-pre` / `+build`) and
 * ranges made of `||`-joined sets of comparators (`^1.2`, `~1.2.3`, `>=1 <3`, `1.x`, `*`). Prerelease tags
 * are accepted in versions and ignored when comparing.
 */

type Triple = [number, number, number];
type Bound = { op: '>=' | '<' | '='; v: Triple };

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const COMPARATOR = /^(\^|~|>=|<=|>|<|=)?v?(\*|x|X|\d+)(?:\.(\*|x|X|\d+))?(?:\.(\*|x|X|\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Triple | undefined {
  const m = VERSION.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function isValidVersion(text: unknown): text is string {
  return typeof text === 'string' && parseVersion(text) !== undefined;
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator as lower/upper bounds; throws on anything it does not understand. */
function bounds(token: string): Bound[] {
  const m = COMPARATOR.exec(token);
  if (!m) throw new Error(`cannot read '${token}' as a version comparator`);
  const op = m[1] ?? '';
  const parts = [m[2], m[3], m[4]].map((p) => (p === undefined || p === '*' || p === 'x' || p === 'X' ? undefined : Number(p)));
  // A wildcard part makes every later part a wildcard too (`1.x.3` means `1.x`).
  const given = parts.findIndex((p) => p === undefined);
  const n = given === -1 ? 3 : given;
  const [a = 0, b = 0, c = 0] = parts.slice(0, n) as number[];
  const low: Triple = [a, b, c];
  /** The first version past the given parts: `1` → 2.0.0, `1.2` → 1.3.0. */
  const next = (k: number): Triple => (k === 1 ? [a + 1, 0, 0] : k === 2 ? [a, b + 1, 0] : [a, b, c + 1]);
  if (n === 0) return op === '<' || op === '>' ? [{ op: '<', v: [0, 0, 0] }] : [];
  switch (op) {
    case '^': {
      // The leftmost non-zero part of those given may not change.
      const k = a > 0 || n === 1 ? 1 : b > 0 || n === 2 ? 2 : 3;
      return [{ op: '>=', v: low }, { op: '<', v: next(k) }];
    }
    case '~':
      return [{ op: '>=', v: low }, { op: '<', v: next(n === 1 ? 1 : 2) }];
    case '>=':
      return [{ op: '>=', v: low }];
    case '>':
      return [{ op: '>=', v: next(n) }];
    case '<':
      return [{ op: '<', v: low }];
    case '<=':
      return [{ op: '<', v: next(n) }];
    default:
      return n === 3 ? [{ op: '=', v: low }] : [{ op: '>=', v: low }, { op: '<', v: next(n) }];
  }
}

/** The sets of a range: it is satisfied when every bound of any one set is. Throws on a malformed range. */
function parseRange(range: string): Bound[][] {
  if (range.trim() === '') throw new Error('the range is empty');
  return range.split('||').map((set) => {
    const tokens = set.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/);
    if (tokens.length === 1 && tokens[0] === '') throw new Error(`'${range}' has an empty alternative`);
    return tokens.flatMap(bounds);
  });
}

/** Whether `range` is a range this module understands; `reason` says why not. */
export function checkRange(range: string): string | undefined {
  try {
    parseRange(range);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether `version` satisfies `range`. Throws if either cannot be read. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`'${version}' is not a version`);
  return parseRange(range).some((set) =>
    set.every(({ op, v: w }) => (op === '>=' ? compare(v, w) >= 0 : op === '<' ? compare(v, w) < 0 : compare(v, w) === 0)),
  );
}
