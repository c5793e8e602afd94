// The README's marked code blocks, for tests that run one of them in a set-up of their own (the README test,
// test/readme, runs the rest in order on a fresh project).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = join(import.meta.dirname, '../../README.md');

/** The block under `<!-- KIND: TARGET expect: TEXT -->`: its code and what its output must contain. */
export function readmeBlock(kind: string, target: string): { code: string; expected: string } {
  const marker = new RegExp(`^<!--\\s*${kind}:\\s*${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+expect:\\s*(.*?)\\s*-->\\s*$`);
  const lines = readFileSync(README, 'utf8').split('\n');
  const at = lines.findIndex((l) => marker.test(l));
  if (at < 0) throw new Error(`README.md has no block marked ${kind}: ${target}`);
  const start = lines.findIndex((l, i) => i > at && l.startsWith('```')) + 1;
  const end = lines.findIndex((l, i) => i >= start && l.startsWith('```'));
  return { code: lines.slice(start, end).join('\n') + '\n', expected: lines[at]!.match(marker)![1]! };
}
