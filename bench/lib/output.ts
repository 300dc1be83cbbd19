/** The run's output on stdout: plain lines, and progress lines stamped with the time of day. */
export const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

export function progress(line: string): void {
  out(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}
