/**
 * The stream of one live subscription: events are pushed in as they happen (from the event
 * bus, in any context), and each pull renders what is pending into the values the subscriber
 * gets. What is pending is coalesced — a subscriber that pulls slowly gets the latest state, not
 * a backlog — so memory per subscriber stays bounded whatever the rate of changes.
 *
 * Unlike an async generator, `return()` ends the feed at once even while a pull waits for the
 * next event (a generator would only see it after that event): an unsubscribe or a closed
 * socket releases the subscription's listeners immediately.
 */
export interface FeedOptions<E, T> {
  /** Folds a new event into what is pending (undefined: nothing pending yet). */
  coalesce: (pending: E | undefined, event: E) => E;
  /** The values to send for what was pending; none when it changes nothing for this subscriber. */
  render: (pending: E) => Promise<T[]>;
  /** Called once when the feed ends, however it ends. */
  onEnd: () => void;
}

export class Feed<E, T> implements AsyncIterableIterator<T> {
  private pending: E | undefined;
  private ready: T[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: FeedOptions<E, T>) {}

  /** Adds an event (ignored once the feed has ended). */
  push(event: E): void {
    if (this.ended) return;
    this.pending = this.options.coalesce(this.pending, event);
    this.wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.ended) return { done: true, value: undefined };
      const value = this.ready.shift();
      if (value !== undefined) return { done: false, value };
      if (this.pending !== undefined) {
        const pending = this.pending;
        this.pending = undefined;
        this.ready = await this.options.render(pending);
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.end();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    this.end();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the feed: a pull waiting for an event answers done. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending = undefined;
    this.ready = [];
    this.wake?.();
    this.options.onEnd();
  }
}
