/**
 * Runs the compiled service, `dist/src/main.js`, unchanged in this child process. The only
 * addition is a guard: when the runner's IPC channel closes (the runner ended or was killed), the
 * service gets SIGTERM — its own shutdown — and a hard exit shortly after.
 *
 * The channel is unref'd so that it never keeps the process alive by itself: the service's own
 * SIGTERM handling must behave exactly as without it (it ends when its event loop drains).
 */
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

process.on("disconnect", () => {
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => process.exit(1), 5000).unref();
});
(process.channel as { unref?: () => void } | undefined)?.unref?.();

void import(path.join(REPO_ROOT, "dist", "src", "main.js"));
