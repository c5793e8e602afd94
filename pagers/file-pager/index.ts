export { FilePager, MAX_READ_AHEAD_PAGES } from './file-pager.js';
export { MappedFile } from './mapped-file.js';
export { mapFile, type MapFileOptions } from './map-file.js';
export { MappedFileTruncatedError, ReadOnlyMappingError } from './errors.js';
export { useFilePager } from './install.js';
