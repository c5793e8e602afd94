import { describe, expect, it } from 'vitest';
import { checkRange, isValidVersion, satisfies } from '../../extensions/semver.js';

describe('the semver subset of manifests', () => {
  it('versions', () => {
    for (const v of ['1.0.0', '0.0.1', '10.20.30', '1.0.0-beta.1', '1.0.0+build.5']) expect(isValidVersion(v)).toBe(true);
    for (const v of ['1', '1.0', 'x.y.z', '', '01.0.0a', 3]) expect(isValidVersion(v)).toBe(false);
  });

  const table: Array<[string, string[], string[]]> = [
    ['^1.0.0', ['1.0.0', '1.9.9'], ['0.9.9', '2.0.0']],
    ['^1', ['1.0.0', '1.5.0'], ['2.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0', '0.2.2']],
    ['^0.0.3', ['0.0.3'], ['0.0.4']],
    ['~1.2.3', ['1.2.3', '1.2.9'], ['1.3.0']],
    ['~1', ['1.0.0', '1.9.0'], ['2.0.0']],
    ['1.x', ['1.0.0', '1.4.2'], ['2.0.0']],
    ['1', ['1.2.3'], ['2.0.0', '0.1.0']],
    ['1.2', ['1.2.0', '1.2.7'], ['1.3.0']],
    ['*', ['0.0.0', '9.9.9'], []],
    ['>=1 <3', ['1.0.0', '2.9.9'], ['3.0.0', '0.9.0']],
    ['>= 1.2.0', ['1.2.0'], ['1.1.9']],
    ['>1.2', ['1.3.0'], ['1.2.9']],
    ['<=1.2', ['1.2.9'], ['1.3.0']],
    ['<1.0.0 || ^2', ['0.5.0', '2.1.0'], ['1.0.0', '3.0.0']],
    ['=1.0.0', ['1.0.0'], ['1.0.1']],
  ];
  for (const [range, yes, no] of table) {
    it(`${range}`, () => {
      expect(checkRange(range)).toBeUndefined();
      for (const v of yes) expect(satisfies(v, range), `${v} satisfies ${range}`).toBe(true);
      for (const v of no) expect(satisfies(v, range), `${v} does not satisfy ${range}`).toBe(false);
    });
  }

  it('unreadable ranges are reported, not guessed', () => {
    for (const r of ['', 'soon', '1.2.3.4', '>=', '1 - 2', '^1 ||']) expect(checkRange(r)).toBeTypeOf('string');
  });
});
