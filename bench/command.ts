import { processIo, usageError, type CommandIo } from '../cli/index.js';
import { parseArgs, USAGE, type ParsedArgs } from './options.js';
import { formatResults } from './report.js';
import { runSuite } from './suite.js';

/**
 * `spinvm bench`: runs the workloads of issue 6 against spinvm and its peers and prints the table, and the
 * targets of issues 13 and 6 with whether each is met, on stdout (progress goes to stderr); with `--out FILE`,
 * also writes the results as JSON there. It writes nothing else outside the system's temporary folder.
 */
export async function run(argv: string[], io: CommandIo = processIo): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    return usageError('bench', USAGE, io, (err as Error).message);
  }
  if (parsed.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const { results, file } = await runSuite(parsed.options, { log: (line) => io.err(`${line}\n`) });
  io.out(`${parsed.json ? JSON.stringify(results, null, 2) : formatResults(results)}\n`);
  if (file) io.err(`results written to ${file}\n`);
  return 0;
}
