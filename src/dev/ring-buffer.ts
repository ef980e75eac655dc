/**
 * A fixed-capacity buffer that drops its oldest items: the dev loop's log
 * history, so a pod printing 10,000 lines a second cannot grow memory
 * without bound.
 */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  /** How many items were ever pushed (the sequence number of the next one). */
  private pushed = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  /** Items held now. */
  get size(): number {
    return this.count;
  }

  /** Items ever pushed, dropped ones included. */
  get total(): number {
    return this.pushed;
  }

  /** Appends, dropping the oldest item when full. */
  push(item: T): void {
    const at = (this.start + this.count) % this.capacity;
    this.items[at] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
    this.pushed++;
  }

  /** The i-th item held, oldest first (0 .. size-1). */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.capacity];
  }

  /** Drops everything (the total keeps counting). */
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
