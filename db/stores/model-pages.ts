import { LRUCache } from 'lru-cache';
import type { Notices } from '../change-notices';

export interface Page<T> {
  items: T[];
  total: number;
}

/** At most this many characters of pages (as JSON) are held: ~10–20 MB of memory. */
const MAX_HELD_CHARS = 8 * 1024 * 1024;
/**
 * A held page is read again after this long even when no change was announced: the bound on a page
 * behind a change the trigger did not announce (a restore with `session_replication_role =
 * replica`, the trigger disabled by hand).
 */
const HELD_FOR_MS = 60_000;

/**
 * Registry pages held in memory, for a process that answers many reads of few pages (the API: the
 * console's polling, callers listing models). Dormant until `start()`: until then, and whenever the
 * change notices on `models` (migration 0020, db/change-notices.ts) are not heard, every read goes
 * to the database. A page is kept only if no change was heard while it was read, and all pages are
 * dropped on each notice, so a held page is what the database held when the last notice came (see
 * ChangeNotices for how far behind that can be); a change made through this process drops them at
 * once (`changed()`), before its own notice comes back. Concurrent reads of a page not held share
 * one query. Held pages are frozen: every reader gets the same objects.
 */
export class ModelPages<T extends object> {
  private readonly held = new LRUCache<string, Page<T>>({
    maxSize: MAX_HELD_CHARS,
    sizeCalculation: (page) => Math.max(1, JSON.stringify(page).length),
    ttl: HELD_FOR_MS,
  });
  private readonly loading = new Map<string, { generation: number; page: Promise<Page<T>> }>();
  private generation = 0;
  /** start() calls not yet stopped: an app and a second one on the same stores (tests) share it. */
  private users = 0;

  constructor(private readonly notices: Notices) {
    notices.onChange(() => this.changed());
  }

  /** Starts holding pages (and listening for changes); resolves once listening or once that failed. */
  start(options?: { onError?: (err: Error) => void }): Promise<void> {
    this.users += 1;
    return this.users === 1 ? this.notices.start(options) : Promise.resolve();
  }

  /** Stops holding pages once every start() has its stop(). */
  async stop(): Promise<void> {
    if (this.users === 0) return;
    this.users -= 1;
    if (this.users === 0) await this.notices.stop();
  }

  /** True while pages are held: the change notices are heard. */
  holding(): boolean {
    return this.notices.live();
  }

  /** Something in `models` changed: no page held or being loaded now is kept. */
  changed(): void {
    this.generation++;
    this.held.clear();
    this.loading.clear();
  }

  /** The page under `key`: held, or being loaded, or loaded now with `load`. */
  async read(key: string, load: () => Promise<Page<T>>): Promise<Page<T>> {
    if (!this.notices.live()) return load();
    const held = this.held.get(key);
    if (held) return held;
    const generation = this.generation;
    const loading = this.loading.get(key);
    if (loading?.generation === generation) return loading.page;
    const page = load();
    this.loading.set(key, { generation, page });
    try {
      const loaded = await page;
      if (this.generation === generation && this.notices.live()) this.held.set(key, frozen(loaded));
      return loaded;
    } finally {
      if (this.loading.get(key)?.page === page) this.loading.delete(key);
    }
  }
}

function frozen<T extends object>(page: Page<T>): Page<T> {
  for (const item of page.items) Object.freeze(item);
  Object.freeze(page.items);
  return Object.freeze(page);
}
