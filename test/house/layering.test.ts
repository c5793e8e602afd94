// The layering rules of eslint.config.js, proved to bite: each layer refuses imports from the layers above it.
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
  ])('%s: %s is refused', async (file, code, why) => {
    expect((await problems(file, `${code}\nexport {};\n`)).join('\n')).toContain(why);
  });

  it.each([
    ['fs/probe.ts', "import { InvalidArgumentError } from '../vmcore/index.js';"],
    ['pagers/probe.ts', "import { Accessor } from '../fs/index.js';"],
    ['extensions/probe.ts', "import { mapFile } from '../pagers/file-pager/index.js';"],
    ['cli/probe.ts', "import { runPagerConformance } from '../conformance/index.js';"],
    ['conformance/probe.ts', "import { createVm } from '../vmcore/index.js';"],
    ['conformance/harness/probe.ts', "import { Accessor } from '../../fs/index.js';"],
    ['conformance/probe.ts', "import { DefaultPager } from '../pagers/default-pager/index.js';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
