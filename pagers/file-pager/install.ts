import { FileSystemError } from '../../fs/index.js';
import { TOKENS, type FileMapper, type MappableFile, type Vm } from '../../vmcore/index.js';
import { mapFile } from './map-file.js';

/** Write access refused: the file is mapped read-only instead, and the address space answers EACCES if asked to write. */
const REFUSED = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Makes the file pager the instance's file mapper, so address spaces can `map({ file })`: every mapping of a
 * file in every address space of the instance shares the file's one memory object. Answers the mapper.
 */
export function useFilePager(vm: Vm): FileMapper {
  const mapper: FileMapper = {
    async open(path: string, writable: boolean): Promise<MappableFile> {
      if (!writable) return mapFile(vm, path);
      try {
        return await mapFile(vm, path, { writable: true });
      } catch (err) {
        if (FileSystemError.is(err) && REFUSED.has(err.reason)) return mapFile(vm, path);
        throw err;
      }
    },
  };
  if (vm.container.isBound(TOKENS.FileMapper)) vm.container.rebind<FileMapper>(TOKENS.FileMapper).toConstantValue(mapper);
  else vm.container.bind<FileMapper>(TOKENS.FileMapper).toConstantValue(mapper);
  return mapper;
}
