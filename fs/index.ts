// The generic file system layer pagers sit on. fs/ depends only on vmcore's error classes and node built-ins.
export type { FileHandle, FileSystem, OpenOptions } from './file-system.js';
export { AccessorBusyError, FileSystemError, describeReason, type FileOperation, type FileSystemReason } from './errors.js';
export { NodeFileSystem } from './node-file-system.js';
export { MemoryFileSystem, type LatencyHook, type MemoryFileSystemOptions } from './memory-file-system.js';
export { Accessor } from './accessor.js';
export { FileRegistry, type AcquireOptions, type FileEntry, type FileLease } from './registry.js';
