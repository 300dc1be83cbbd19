/**
 * The dispatcher's cycle with a stand-in repository: endpoints fanned out in turns (a long
 * list never starves its end), and nothing done after a commit while no endpoint is active.
 */
import pino from "pino";
import type { DataSource } from "typeorm";
import { WebhookDispatcher } from "../../src/webhooks/webhook-dispatcher";
import { DEFAULT_RETRY_SCHEDULE } from "../../src/webhooks/retry-schedule";
import type { WebhookRepository } from "../../src/webhooks/webhook.repository";

const OPTIONS = {
  allowPrivateAddresses: true,
  timeoutMs: 1000,
  schedule: DEFAULT_RETRY_SCHEDULE,
  disableAfterFailures: 5,
  concurrency: 4,
  pollMs: 60_000,
  fanOutBatch: 500,
};

function fakeRepository(endpoints: number, active: boolean) {
  const fannedOut: number[] = [];
  const calls = { anyActive: 0, behind: 0 };
  const repository = {
    anyActiveEndpoint: async () => {
      calls.anyActive += 1;
      return active;
    },
    endpointsBehind: async (afterId: number, limit: number) => {
      calls.behind += 1;
      await new Promise((resolve) => setImmediate(resolve)); // as a statement would: a turn

      return Array.from({ length: endpoints }, (_, i) => ({ id: i + 1, accountId: 1 }))
        .filter((e) => e.id > afterId)
        .slice(0, limit);
    },
    // Every endpoint always has a full batch more: it stays behind.
    fanOut: async (_account: number, id: number) => {
      fannedOut.push(id);
      return OPTIONS.fanOutBatch;
    },
    due: async () => [],
  };
  return { repository: repository as unknown as WebhookRepository, fannedOut, calls };
}

const logger = pino({ level: "silent" });

async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("not within the time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("the webhook dispatcher's cycle", () => {
  it("serves a long list of busy endpoints in turns, the last as well as the first", async () => {
    const { repository, fannedOut } = fakeRepository(250, true);
    const dispatcher = new WebhookDispatcher({} as DataSource, repository, logger, OPTIONS);
    dispatcher.start();
    await until(() => new Set(fannedOut).size === 250);
    await dispatcher.stop();
    // In order: 1–100, 101–200, 201–250, then from the start again.
    expect(fannedOut.slice(0, 250)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it("does nothing after a commit while no endpoint is active; an endpoint made here wakes it", async () => {
    const { repository, calls } = fakeRepository(3, false);
    const dispatcher = new WebhookDispatcher({} as DataSource, repository, logger, OPTIONS);
    dispatcher.start();
    await until(() => calls.anyActive === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 10; i += 1) dispatcher.afterNumbered();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.behind).toBe(0);
    dispatcher.soon(); // e.g. createWebhookEndpoint on this instance
    await until(() => calls.behind > 0);
    await dispatcher.stop();
  });
});
