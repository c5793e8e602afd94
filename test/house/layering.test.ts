// The layering rules of eslint.config.js, proved to bite: each layer refuses imports from the layers above it,
// and imports the others only through their index.ts.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: REPO });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
  return result!.messages.map((m) => m.message);
}

describe('the layering, as lint rules', () => {
  it.each([
    ['vmcore/memory-object/probe.ts', "import { Accessor } from '../../fs/index.js';", 'vmcore imports nothing'],
    ['vmcore/probe.ts', "import { FilePager } from '../pagers/file-pager/index.js';", 'vmcore imports nothing'],
    ['fs/probe.ts', "import { mapFile } from '../pagers/file-pager/index.js';", 'fs imports only vmcore'],
    ['pagers/file-pager/probe.ts', "import { ExtensionManager } from '../../extensions/index.js';", 'pagers import only vmcore and fs'],
    ['extensions/probe.ts', "import { main } from '../cli/commands.js';", 'extensions import vmcore'],
    ['cli/probe.ts', "import { RecordingPager } from '../test/helpers/pagers.js';", 'shipped code imports no test'],
    ['cli/probe.ts', "import { runPagerConformance } from '../test/conformance/index.js';", 'shipped code imports no test'],
    ['cli/probe.ts', "import { Subject } from '../conformance/harness/subject.js';", 'the conformance kit through its index'],
    ['conformance/probe.ts', "import { RecordingPager } from '../test/helpers/pagers.js';", 'the conformance kit imports vmcore, fs and pagers, never'],
    ['conformance/model/probe.ts', "import { main } from '../../cli/commands.js';", 'the conformance kit imports vmcore, fs and pagers, never'],
    ['conformance/probe.ts', "import { Pager } from '../vmcore/pager/pager.js';", 'through their index.ts'],
    ['conformance/probe.ts', "import { SwapSpace } from '../pagers/default-pager/swap-space.js';", 'through their index.ts'],
    ['conformance/model/probe.ts', "import { MAX_FLUSH_RUN } from '../../vmcore/memory-object/memory-object.js';", 'through their index.ts'],
    ['fs/probe.ts', "import { SpinVmError } from '../vmcore/errors.js';", 'through their index.ts'],
    ['pagers/file-pager/probe.ts', "import { checkIndex } from '../../vmcore/validate.js';", 'through their index.ts'],
    ['pagers/file-pager/probe.ts', "import type { FileLease } from '../../fs/registry.js';", 'through their index.ts'],
    ['extensions/probe.ts', "import { mapFile } from '../pagers/file-pager/index.js';", 'through their index.ts'],
    ['extensions/examples/probe/probe.ts', "import type { Vm } from '../../../vmcore/vm/vm.js';", 'through their index.ts'],
    ['cli/simulate/probe.ts', "import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';", 'through their index.ts'],
    ['cli/simulate/probe.ts', "import { Zipf } from '../../bench/rng.js';", 'through their index.ts'],
    ['bench/probe.ts', "import { parseStrict } from '../cli/args.js';", 'through their index.ts'],
    ['bench/workloads/probe.ts', "export { mapFile } from '../../pagers/file-pager/map-file.js';", 'through their index.ts'],
    ['probe.ts', "export { mapFile } from './pagers/file-pager/index.js';", 'imports nothing past them'],
    ['bench/workloads/probe.ts', "import { SqliteFiles } from '../../extensions/sqlite/files.js';", 'through their index.ts'],
  ])('%s: %s is refused', async (file, code, why) => {
    expect((await problems(file, `${code}\nexport {};\n`)).join('\n')).toContain(why);
  });

  it.each([
    ['fs/probe.ts', "import { InvalidArgumentError } from '../vmcore/index.js';"],
    ['pagers/probe.ts', "import { Accessor } from '../fs/index.js';"],
    ['extensions/probe.ts', "import { mapFile } from '../pagers/index.js';"],
    ['cli/probe.ts', "import { runPagerConformance } from '../conformance/index.js';"],
    ['conformance/probe.ts', "import { createVm } from '../vmcore/index.js';"],
    ['conformance/harness/probe.ts', "import { Accessor } from '../../fs/index.js';"],
    ['conformance/probe.ts', "import { DefaultPager } from '../pagers/index.js';"],
    ['conformance/model/probe.ts', "import { MAX_FLUSH_RUN } from '../../vmcore/index.js';"],
    ['pagers/file-pager/probe.ts', "import { checkIndex } from '../../vmcore/index.js';"],
    ['extensions/examples/probe/probe.ts', "import type { Vm } from '../../../vmcore/index.js';"],
    ['cli/simulate/probe.ts', "import { Zipf } from '../../bench/index.js';"],
    ['cli/simulate/probe.ts', "import { run } from '../conformance/command.js';"],
    ['bench/probe.ts', "import { parseStrict } from '../cli/index.js';"],
    ['vmcore/address-space/probe.ts', "import { MemoryObject } from '../memory-object/memory-object.js';"],
    ['probe.ts', "export { mapFile } from './pagers/index.js';"],
    ['bench/workloads/probe.ts', "import { loadSqlite } from '../../extensions/sqlite/index.js';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
