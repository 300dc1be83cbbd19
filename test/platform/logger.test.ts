/**
 * The log's shape: pino-pretty lines for a person running the service on a terminal in
 * development (the quick start), JSON everywhere else. End to end through the compiled service
 * (`dist/src/main.js`), with a terminal stood in for by a preload that marks stdout as a TTY: a
 * real pseudo-terminal is not available everywhere the suite runs.
 */
import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { createLogger, logFormat } from "../../src/logger";
import {
  API_KEY_PATTERN,
  cleanupProcesses,
  freePort,
  MAIN,
  requireBuild,
  startProcess,
  stopService,
  tempDir,
  waitForLog,
  type Running,
} from "../support/processes";

afterEach(cleanupProcesses);

/** pino-pretty colours its output; the text a person reads is what is left without them. */
function withoutColours(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

function isJson(line: string): boolean {
  try {
    return typeof JSON.parse(line) === "object";
  } catch {
    return false;
  }
}

describe("logFormat", () => {
  it.each([
    ["development", true, "pretty"],
    ["development", false, "json"],
    ["development", undefined, "json"],
    ["production", true, "json"],
    ["test", true, "json"],
    [undefined, true, "json"],
  ] as const)("NODE_ENV=%s, stdout a TTY: %s → %s", (nodeEnv, isTTY, format) => {
    expect(logFormat(nodeEnv, { isTTY })).toBe(format);
  });
});

describe("createLogger", () => {
  const original = Object.getOwnPropertyDescriptor(process.stdout, "isTTY");
  afterEach(() => {
    if (original) Object.defineProperty(process.stdout, "isTTY", original);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });
  const streamOf = (logger: pino.Logger) =>
    (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];

  it("writes JSON straight to stdout unless it is a development run on a terminal", () => {
    Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true });
    expect(streamOf(createLogger({ logLevel: "info", nodeEnv: "production" }))).toBe(
      process.stdout,
    );
    expect(streamOf(createLogger({ logLevel: "info" }))).toBe(process.stdout);
    expect(streamOf(createLogger({ logLevel: "info", nodeEnv: "development" }))).not.toBe(
      process.stdout,
    );
    Object.defineProperty(process.stdout, "isTTY", { value: false, configurable: true });
    expect(streamOf(createLogger({ logLevel: "info", nodeEnv: "development" }))).toBe(
      process.stdout,
    );
  });
});

describe("the quick start's log (npm start: no NODE_ENV, SQLite)", () => {
  beforeAll(() => requireBuild(MAIN));

  /** Starts the compiled service in a fresh directory, its stdout a terminal or a pipe. */
  async function start(terminal: boolean, env: Record<string, string> = {}): Promise<Running> {
    const cwd = tempDir("cls-logs-");
    const args = [MAIN];
    if (terminal) {
      const preload = path.join(cwd, "stdout-is-a-tty.js");
      fs.writeFileSync(
        preload,
        'Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true });\n',
      );
      args.unshift("--require", preload);
    }
    const port = await freePort();
    const running = startProcess(process.execPath, args, cwd, {
      PORT: String(port),
      LOG_LEVEL: "info",
      ...env,
    });
    await waitForLog(running, "GraphQL API ready");
    return running;
  }

  it("on a terminal prints readable lines, the new ADMIN key on a line of its own, not JSON", async () => {
    const running = await start(true);
    expect((await stopService(running)).code).toBe(0);
    const lines = withoutColours(running.stdout())
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines.filter(isJson)).toEqual([]);
    const keyLines = lines.filter((line) => API_KEY_PATTERN.test(line));
    expect(keyLines).toHaveLength(1);
    expect(keyLines[0]).toMatch(
      /^WARN: No API key existed, so a development ADMIN key was created/,
    );
    expect(keyLines[0]).toContain(`X-Api-Key: ${API_KEY_PATTERN.exec(keyLines[0])![0]}`);
    expect(lines).toContainEqual(expect.stringMatching(/^INFO: GraphQL API ready at http:\/\//));
    expect(lines).toContainEqual(expect.stringMatching(/^INFO: shutting down/));
  });

  it.each([
    ["piped", false, {}],
    ["on a terminal in production", true, { NODE_ENV: "production" }],
    ["on a terminal with NODE_ENV=test", true, { NODE_ENV: "test" }],
  ])("%s writes one JSON object per line", async (_, terminal, env) => {
    const running = await start(terminal, env);
    expect((await stopService(running)).code).toBe(0);
    const lines = running
      .stdout()
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.filter((line) => !isJson(line))).toEqual([]);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContainEqual(
      expect.stringMatching(/^GraphQL API ready at http:\/\//),
    );
  });
});
