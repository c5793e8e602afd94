// The pagers layer: SPIN's default pager (swap files), the file pager and the Redis pager (far memory), each in a folder of its own.
export * from './default-pager/index.js';
export * from './file-pager/index.js';
export * from './redis-pager/index.js';
