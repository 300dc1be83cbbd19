import { InjectionToken } from "../common/container";
/**
 * Messages between the instances of the service: a channel name and a text, delivered to every
 * listener of that channel on every instance — through Redis pub/sub when `REDIS_URL` is set
 * (`events/redis-bus.ts`), within the process otherwise (`InProcessBus`). Delivery is at most
 * once and only to listeners present when the message arrives: whatever must not be lost is in
 * the database (the account change log), and a listener that may have missed messages (the bus
 * was down) is told by `onResume` so that it can read the current state again.
 */
export interface EventBus {
  /** Sends `message` on `channel`; never throws (a message the bus cannot take is dropped). */
  publish(channel: string, message: string): void;
  /** Calls `listener` with each message of `channel` from now on; answers how to stop. */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  /**
   * Calls `listener` each time the bus is back after an outage (messages may have been missed
   * meanwhile); answers how to stop.
   */
  onResume(listener: () => void): () => void;
  /** Whether messages are delivered now (false while Redis is unreachable). */
  readonly healthy: boolean;
  /** What `/readyz` says when not healthy. */
  readonly problem: string | undefined;
  close(): Promise<void>;
}

/** Listeners by channel, as both buses keep them. */
export class Listeners {
  private readonly byChannel = new Map<string, Set<(message: string) => void>>();

  add(
    channel: string,
    listener: (message: string) => void,
  ): { first: boolean; stop: () => boolean } {
    let set = this.byChannel.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.byChannel.set(channel, set);
    }
    set.add(listener);
    return {
      first,
      /** Removes the listener; true when it was the channel's last. */
      stop: () => {
        const current = this.byChannel.get(channel);
        if (!current?.delete(listener) || current.size > 0) return false;
        this.byChannel.delete(channel);
        return true;
      },
    };
  }

  /** Hands `message` to every listener of `channel`; a listener that throws does not stop the others. */
  deliver(channel: string, message: string): void {
    for (const listener of [...(this.byChannel.get(channel) ?? [])]) {
      try {
        listener(message);
      } catch {
        // A listener's failure is its own (listeners handle their errors).
      }
    }
  }

  get channels(): string[] {
    return [...this.byChannel.keys()];
  }
}

/** The bus of a single instance (no `REDIS_URL`): messages reach this process's listeners. */
export class InProcessBus implements EventBus {
  private readonly listeners = new Listeners();
  readonly healthy = true;
  readonly problem = undefined;

  publish(channel: string, message: string): void {
    // Delivered after the publisher's own work, as a message through Redis would be.
    setImmediate(() => this.listeners.deliver(channel, message));
  }

  subscribe(channel: string, listener: (message: string) => void): () => void {
    const { stop } = this.listeners.add(channel, listener);
    return () => void stop();
  }

  onResume(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}

/** The app's bus, as the feature modules' factories get it. */
export const EVENT_BUS = new InjectionToken<EventBus>("event bus");
