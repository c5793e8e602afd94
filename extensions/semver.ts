import semver from 'semver';

/**
 * Versions and ranges as npm reads them, by npm's own `semver` package: `1.2.3`, `1.0.0-beta.1`, and ranges
 * such as `^1.2`, `~1.2.3`, `>=1 <3`, `1.x`, `*`, `1.0.0 - 1.9.9` and `||`-joined alternatives. A prerelease
 * satisfies a range only when a comparator of the same major.minor.patch names a prerelease (npm's rule):
 * `1.1.0-beta` does not satisfy `^1.0.0`, `1.0.0-beta.2` satisfies `>=1.0.0-beta.1`.
 */

/** The major, minor and patch numbers of a valid version; undefined when `text` is not one. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const v = semver.parse(text);
  return v ? [v.major, v.minor, v.patch] : undefined;
}

export function isValidVersion(text: unknown): text is string {
  return typeof text === 'string' && semver.valid(text) !== null;
}

/** Undefined when `range` is a valid npm range, else why not. */
export function checkRange(range: string): string | undefined {
  if (typeof range !== 'string') return `${typeof range} is not a range`;
  return semver.validRange(range) === null ? `cannot read '${range}' as an npm version range` : undefined;
}

/** Whether `version` satisfies `range`, by npm's rules. Throws if either cannot be read. */
export function satisfies(version: string, range: string): boolean {
  if (!isValidVersion(version)) throw new Error(`'${version}' is not a version`);
  const problem = checkRange(range);
  if (problem) throw new Error(problem);
  return semver.satisfies(version, range);
}
