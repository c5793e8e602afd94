// The one reference model: the kit's level 2 and spinvm's own randomized tests both run through it.
export { dataApiOps, describeOp, disjointBatches, MODEL_SEED, modelOps, persistentOps, type ModelConfig, type ModelOp } from './ops.js';
export { Reference } from './reference.js';
export { runModel, type ModelRun, type ModelRunOptions } from './run.js';
