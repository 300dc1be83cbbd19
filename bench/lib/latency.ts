/** Latency figures of single requests timed one at a time (the accounts and volume scenarios). */
export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Latency figures of a set of measurements (ms), rounded to µs. */
export function summarizeLatency(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const r = (value: number) => Math.round(value * 1000) / 1000;
  return {
    n: sorted.length,
    mean: r(sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)),
    p50: r(at(50)),
    p90: r(at(90)),
    p99: r(at(99)),
    max: r(sorted[sorted.length - 1]),
  };
}
