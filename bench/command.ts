import { parseArgs, USAGE } from './options.js';
import { formatResults } from './report.js';
import { runSuite } from './suite.js';

/**
 * `spinvm bench`: runs the workloads of issue 6 against spinvm and its peers, prints the table on stdout
 * (progress goes to stderr) and writes the results as JSON under bench/results/.
 */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    console.error(`spinvm bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const { results, file } = await runSuite(parsed.options);
  if (parsed.json) console.log(JSON.stringify(results, null, 2));
  else console.log(formatResults(results));
  if (file) console.error(`results written to ${file}`);
  return 0;
}
