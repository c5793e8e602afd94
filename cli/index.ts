// The command line's interface to the bench (which runs as `spinvm bench`): how a command reads its
// arguments and where it writes. The command line itself starts at main.ts.
export { parseStrict, processIo, usageError, UsageError, type CommandIo } from './args.js';
// The simulator and its seeded trace classes, which the bench runs through the policies for its policy targets.
export { generateTrace, TRACE_CLASSES, type TraceClass } from './simulate/classes.js';
export { simulate } from './simulate/simulate.js';
