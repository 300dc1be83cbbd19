import type { ChangeEvent, ChangeLog } from "../../src/changes/change-log";

/**
 * A stand-in change log for unit tests of its subscribers: counts the listeners it holds and
 * hands each announced event to all of them, as the bus would.
 */
export function fakeChangeLog() {
  const listeners = new Set<(event: ChangeEvent) => void>();
  const changes = {
    subscribe: jest.fn((_accountId: number, listener: (event: ChangeEvent) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    }),
    onResume: () => () => undefined,
  };
  const announce = (event: ChangeEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  return { changes, changeLog: changes as unknown as ChangeLog, listeners, announce };
}
