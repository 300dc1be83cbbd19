/**
 * Runs the compiled service, `dist/src/main.js`, unchanged in this child process. The only
 * additions are a guard — when the runner's IPC channel closes (the runner ended or was killed),
 * the service gets SIGTERM, its own shutdown, and a hard exit shortly after — and a memory probe:
 * on a "memory" message, a full garbage collection, then `process.memoryUsage()` (heap used, and
 * the buffers outside the heap that hold stored responses). The service never learns of either.
 *
 * The channel is unref'd so that it never keeps the process alive by itself: the service's own
 * SIGTERM handling must behave exactly as without it (it ends when its event loop drains).
 */
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { answer } from "./ipc";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

process.on("disconnect", () => {
  process.kill(process.pid, "SIGTERM");
  setTimeout(() => process.exit(1), 5000).unref();
});
// Unref'd explicitly: listeners added later (the memory probe) do not ref it again.
(process.channel as { unref?: () => void } | undefined)?.unref?.();

let collect: (() => void) | undefined;

/** V8's `gc()`, without starting node with --expose-gc: the flag holds for contexts made after it. */
function fullGc(): boolean {
  try {
    if (!collect) {
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as () => void;
    }
    collect();
    collect();
    return true;
  } catch {
    return false;
  }
}

const MiB = 2 ** 20;
const round = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

answer("memory", () => {
  const collected = fullGc();
  const usage = process.memoryUsage();
  return {
    collected,
    rssMiB: round(usage.rss),
    heapUsedMiB: round(usage.heapUsed),
    heapTotalMiB: round(usage.heapTotal),
    externalMiB: round(usage.external),
    arrayBuffersMiB: round(usage.arrayBuffers),
  };
});

void import(path.join(REPO_ROOT, "dist", "src", "main.js"));
