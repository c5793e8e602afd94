export { FilePager, MAX_READ_AHEAD_PAGES } from './file-pager.js';
export { MappedFile, OpenFile } from './mapped-file.js';
export { mapFile, openFile, type MapFileOptions, type OpenFileOptions } from './map-file.js';
export { MappedFileTruncatedError, ReadOnlyFileError, ReadOnlyMappingError } from './errors.js';
export { useFilePager } from './install.js';
