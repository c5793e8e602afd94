// SPIN's real default pager: zero fill on first fault, page-out to swap files on any FileSystem.
export { DefaultPager } from './default-pager.js';
export { SwapSpace, MAX_SWAP_SLOTS, type SwapSpaceOptions, type SwapSpaceStat } from './swap-space.js';
export { SwapIntegrityError, SwapSetupError } from './errors.js';
export { PageState, DENSE_TABLE_PAGES } from './page-table.js';
export { useDefaultPager, type UseDefaultPagerOptions } from './install.js';
