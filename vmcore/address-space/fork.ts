/** fork: a child address space with the same mappings, private memory copy-on-write in both (Mach's shadow chains). */
import { Shadow, type Level } from './levels.js';
import { Region } from './regions.js';
import type { SpaceState } from './state.js';

/**
 * Gives `child` (empty) the mappings of `parent`. Shared mappings stay shared. Private and anonymous memory:
 * each side gets a new, empty top shadow over what the parent's top held, which becomes a frozen level
 * shared by the two. Nothing is copied now; a page is copied up when either side first writes it.
 */
export function forkInto(parent: SpaceState, child: SpaceState): void {
  const ps = parent.pageSize;
  for (const r of parent.regions.all) {
    const pages = (r.end - r.start) / ps;
    let level: Level;
    let page = r.page;
    if (r.share === 'shared') {
      level = r.level;
      level.refs++;
    } else {
      const top = r.level as Shadow;
      const at = r.page;
      page = 0;
      if (top.owned.size === 0 && (top.dropped === undefined || top.dropped.size === 0) && top.skipFrom === Infinity) {
        // The parent's top holds nothing: the parent keeps it, the child gets its own over what lies below.
        if (top.backing) top.backing.refs++;
        level = new Shadow(pages, top.backing, top.backingOffset + at, child.label('private'));
      } else {
        // The parent's top becomes a frozen level shared by two new tops; the parent's takes over r's reference.
        r.level = new Shadow(pages, top, at, parent.label('private'));
        r.page = 0;
        top.refs++;
        level = new Shadow(pages, top, at, child.label('private'));
      }
    }
    child.regions.insert(new Region(r.start, r.end, r.prot, r.share, r.kind, level, page));
  }
  parent.changed();
}
