/**
 * An LRU cache of L2 tables (qcow2.txt "Cluster mapping": one cluster of 64-bit entries each).
 * Dirty tables are written back on eviction through a callback that first makes the refcount
 * increments durable (refcounts before mappings), and all at once by the driver's flush().
 */
export interface L2Table {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly view: DataView;
  dirty: boolean;
}

export class L2Cache {
  private readonly map = new Map<number, L2Table>(); // Map iteration order = least recently used first

  constructor(
    private readonly capacity: number,
    private readonly evict: (t: L2Table) => Promise<void>,
  ) {}

  /** The table at host offset `off`, loaded through `load` on a miss. */
  async get(off: number, load: () => Promise<Uint8Array>): Promise<L2Table> {
    const hit = this.map.get(off);
    if (hit) {
      this.map.delete(off);
      this.map.set(off, hit);
      return hit;
    }
    return this.insert(off, await load(), false);
  }

  /** Adds a table (a freshly allocated one is inserted dirty). */
  async insert(off: number, data: Uint8Array, dirty: boolean): Promise<L2Table> {
    while (this.map.size >= this.capacity) {
      const [oldOff, old] = this.map.entries().next().value as [number, L2Table];
      if (old.dirty) {
        await this.evict(old);
        old.dirty = false;
      }
      this.map.delete(oldOff);
    }
    const t: L2Table = { offset: off, data, view: new DataView(data.buffer, data.byteOffset, data.byteLength), dirty };
    this.map.set(off, t);
    return t;
  }

  /** The dirty tables, in file order. */
  dirtyTables(): L2Table[] {
    return [...this.map.values()].filter((t) => t.dirty).sort((a, b) => a.offset - b.offset);
  }

  drop(off: number): void {
    this.map.delete(off);
  }
}
