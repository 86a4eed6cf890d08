import { LRUCache } from 'lru-cache';
import type { Sequelize } from 'sequelize';
import { MODELS_CHANGED_CHANNEL } from '../../migrations/0020-models-change-notice';
import { ChangeNotices, type ChangeNoticeOptions } from '../change-notices';

export interface Page<T> {
  items: T[];
  total: number;
}

/** At most this many models (over all pages, plus one per page) are held: a few MB. */
const MAX_HELD_ITEMS = 10_000;

/**
 * Registry pages held in memory, for a process that answers many reads of few pages (the API: the
 * console's polling, callers listing models). Dormant until `start()`: until then, and whenever the
 * change notices on `models` (migration 0020) are not heard, every read goes to the database. A
 * page is kept only if no notice came while it was read, and all pages are dropped on each notice,
 * so a page is never older than the last change the database announced; a change made through this
 * process drops them at once (`changed()`), before its own notice comes back. Concurrent reads of a
 * page not held share one query.
 */
export class ModelPages<T> {
  private readonly notices: ChangeNotices;
  private readonly held = new LRUCache<string, Page<T>>({
    maxSize: MAX_HELD_ITEMS,
    sizeCalculation: (page) => page.items.length + 1,
  });
  private readonly loading = new Map<string, { generation: number; page: Promise<Page<T>> }>();
  private generation = 0;

  constructor(sequelize: Sequelize, options?: ChangeNoticeOptions) {
    this.notices = new ChangeNotices(sequelize, MODELS_CHANGED_CHANNEL, options);
    this.notices.onChange(() => this.changed());
  }

  /** Starts holding pages (and listening for changes); resolves once listening or once that failed. */
  start(options?: { onError?: (err: Error) => void }): Promise<void> {
    return this.notices.start(options);
  }

  stop(): Promise<void> {
    return this.notices.stop();
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
      if (this.generation === generation && this.notices.live()) this.held.set(key, loaded);
      return loaded;
    } finally {
      if (this.loading.get(key)?.page === page) this.loading.delete(key);
    }
  }
}
