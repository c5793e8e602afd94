// The pagers layer: SPIN's default pager (swap files) and the file pager, each in a folder of its own.
export * from './default-pager/index.js';
export * from './file-pager/index.js';
