/** The child side of the runner's IPC: report readiness, answer questions, die with the runner. */

export function reportReady(port: number, path: string): void {
  process.send?.({ type: "ready", port, path });
}

/** Answers `{ type }` messages from the runner with `{ type, ...answer() }`. */
export function answer(type: string, reply: () => Record<string, unknown>): void {
  process.on("message", (message: { type?: string }) => {
    if (message?.type === type) process.send?.({ type, ...reply() });
  });
}

/** Exits when the runner goes away (IPC closed) or asks the process to stop. */
export function exitWithRunner(close: () => Promise<void> | void): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 2000).unref();
    Promise.resolve(close())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
