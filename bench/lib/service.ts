/** The service under test: the compiled `dist/src/main.js`, configured only through its environment. */
import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { Child, childEnv, forkChild } from "./children";
import { waitForHttp200 } from "./graphql";
import { REPO_ROOT } from "./options";

const APIKEY_CLI = path.join(REPO_ROOT, "dist", "src", "cli", "apikey.js");

/** A free TCP port on loopback (the service takes its port from PORT and cannot report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function serviceEnv(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    DATABASE_URL: databaseUrl,
    MIGRATIONS_RUN: "true",
    SHUTDOWN_TIMEOUT_SECONDS: "2",
  };
}

/**
 * Creates the first ADMIN key with the operators' CLI (which also applies the migrations): in
 * production the service never creates one by itself.
 */
export function createAdminKey(databaseUrl: string): Promise<string> {
  return createKeyWithCli(databaseUrl, "ADMIN");
}

/** A PLATFORM key (no account; creates accounts and their keys), with the same CLI. */
export function createPlatformKey(databaseUrl: string): Promise<string> {
  return createKeyWithCli(databaseUrl, "PLATFORM");
}

function createKeyWithCli(databaseUrl: string, role: "ADMIN" | "PLATFORM"): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [APIKEY_CLI, "create", "--role", role, "--name", `bench ${role.toLowerCase()}`],
      { cwd: REPO_ROOT, env: childEnv(serviceEnv(databaseUrl)), timeout: 60_000 },
      (error, stdout, stderr) => {
        const key = /csk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/.exec(stdout)?.[0];
        if (error || !key) {
          reject(new Error(`apikey CLI failed: ${error?.message ?? "no key printed"}\n${stderr}`));
        } else {
          resolve(key);
        }
      },
    );
  });
}

export interface RunningService {
  child: Child;
  url: string;
  stop(): Promise<void>;
}

/** `env` adds to (or overrides) the service's settings, e.g. STATUS_CACHE_MAX_ACCOUNTS. */
export async function startService(
  name: string,
  databaseUrl: string,
  cacheEnabled: boolean,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const port = await freePort();
  const child = forkChild(name, "service.js", {
    ...serviceEnv(databaseUrl),
    PORT: String(port),
    HOST: "127.0.0.1",
    STATUS_CACHE_ENABLED: String(cacheEnabled),
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp200(`${base}/readyz`, 60_000, () => child.running);
  } catch (error) {
    await child.stop();
    throw new Error(`${name}: ${(error as Error).message}\n--- output ---\n${child.tail()}`);
  }
  return { child, url: `${base}/graphql`, stop: () => child.stop() };
}
