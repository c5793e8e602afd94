// The bench's interface to the command line: the `spinvm bench` command, and the seeded generators that
// `spinvm simulate` also draws its synthetic traces from.
export { run } from './command.js';
export { permutation, XorShift128, Zipf } from './rng.js';
