// spinvm's public API: vmcore, then the file systems and pagers built on it.
export * from './vmcore/index.js';
