// spinvm's public API: vmcore, then the file systems and pagers built on it.
export * from './vmcore/index.js';
export * from './fs/index.js';
export * from './pagers/file-pager/index.js';
export * from './pagers/default-pager/index.js';
export * from './extensions/index.js';
