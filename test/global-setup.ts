// Runs in vitest's own process: removes what the run's test files shared (test/helpers/packed.ts).
import { rmSync } from 'node:fs';
import { packedFolder } from './helpers/packed.js';

export default function setup(): () => void {
  return () => {
    rmSync(packedFolder(process.pid), { recursive: true, force: true });
    rmSync(`${packedFolder(process.pid)}.lock`, { recursive: true, force: true });
  };
}
