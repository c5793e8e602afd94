import { describe, expect, it } from 'vitest';
import { checkRange, isValidVersion, parseVersion, satisfies } from '../../extensions/semver.js';

/** Manifests' versions and apiVersion ranges are read as npm reads them. */
describe('versions and ranges of manifests, with npm semantics', () => {
  it('versions', () => {
    for (const v of ['1.0.0', '0.0.1', '10.20.30', '1.0.0-beta.1', '1.0.0+build.5', '1.0.0-rc.1+build.5', 'v1.2.3']) expect(isValidVersion(v), v).toBe(true);
    for (const v of ['1', '1.0', 'x.y.z', '', '01.0.0', '1.0.0-01', '1.2.3.4', 'one', 3, undefined]) expect(isValidVersion(v), String(v)).toBe(false);
    expect(parseVersion('1.2.3-beta.4')).toEqual([1, 2, 3]);
    expect(parseVersion('1.2')).toBeUndefined();
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
    ['*', ['0.0.0', '9.9.9'], ['1.0.0-beta']],
    ['>=1 <3', ['1.0.0', '2.9.9'], ['3.0.0', '0.9.0']],
    ['>= 1.2.0', ['1.2.0'], ['1.1.9']],
    ['>1.2', ['1.3.0'], ['1.2.9']],
    ['<=1.2', ['1.2.9'], ['1.3.0']],
    ['<1.0.0 || ^2', ['0.5.0', '2.1.0'], ['1.0.0', '3.0.0']],
    ['=1.0.0', ['1.0.0'], ['1.0.1']],
    // Hyphen ranges: inclusive at both ends; a partial upper end covers what it leaves out.
    ['1.0.0 - 1.9.9', ['1.0.0', '1.5.0', '1.9.9'], ['0.9.9', '1.9.10', '2.0.0']],
    ['1 - 2', ['1.0.0', '2.9.9'], ['3.0.0', '0.9.9']],
    ['1.2 - 2.3.4', ['1.2.0', '2.3.4'], ['1.1.9', '2.3.5']],
    ['1.0.0 - 1.9.9 || 3.x', ['1.2.3', '3.1.0'], ['2.0.0']],
    // Prereleases: they satisfy a range only through a comparator naming a prerelease of the same x.y.z.
    ['^1.0.0', [], ['1.0.0-beta', '1.1.0-beta', '2.0.0-alpha']],
    ['>=1.0.0-beta.1', ['1.0.0-beta.1', '1.0.0-beta.2', '1.0.0', '1.5.0'], ['1.0.0-alpha', '1.1.0-beta']],
    ['^1.2.3-beta.2', ['1.2.3-beta.2', '1.2.3-beta.4', '1.2.3', '1.9.0'], ['1.2.3-beta.1', '1.2.4-beta.2', '2.0.0']],
    ['>=1 <3', [], ['2.0.0-rc.1']],
  ];
  for (const [range, yes, no] of table) {
    it(`${range} (${[...yes, ...no].join(', ')})`, () => {
      expect(checkRange(range)).toBeUndefined();
      for (const v of yes) expect(satisfies(v, range), `${v} satisfies ${range}`).toBe(true);
      for (const v of no) expect(satisfies(v, range), `${v} does not satisfy ${range}`).toBe(false);
    });
  }

  it('build metadata never counts', () => {
    expect(satisfies('1.0.0+build.7', '=1.0.0')).toBe(true);
    expect(satisfies('1.0.0+build.7', '^1')).toBe(true);
  });

  it('an empty range, or an empty alternative, means any version (as in package.json)', () => {
    for (const r of ['', '^1 ||']) {
      expect(checkRange(r)).toBeUndefined();
      expect(satisfies('5.0.0', r)).toBe(true);
    }
  });

  it('unreadable ranges are reported, not guessed', () => {
    for (const r of ['soon', '1.2.3.4', '>=', '^^1', '1.0.0 -', 'v']) expect(checkRange(r), r).toBeTypeOf('string');
    expect(checkRange('soon')).toMatch(/'soon'/);
    expect(() => satisfies('1.0.0', 'soon')).toThrow(/soon/);
    expect(() => satisfies('one', '^1')).toThrow(/'one' is not a version/);
  });
});
