/** Summary statistics of a sample of durations (or any numbers). */
export interface Summary {
  count: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted sample. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
};

/** Median: the mean of the two middle values for an even count. */
export const median = (sorted: readonly number[]): number => {
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

export const summarize = (values: readonly number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: median(sorted),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
  };
};

/** Milliseconds with a precision that suits their size. */
export const ms = (value: number): string =>
  Number.isNaN(value)
    ? '-'
    : value >= 100
      ? `${value.toFixed(0)} ms`
      : value >= 10
        ? `${value.toFixed(1)} ms`
        : `${value.toFixed(2)} ms`;

/** Bytes in decimal units (1 KB = 1,000 bytes, 1 MB = 1,000,000), as the budget and the README count them. */
export const bytes = (value: number): string =>
  value >= 1_000_000
    ? `${(value / 1_000_000).toFixed(2)} MB`
    : value >= 1_000
      ? `${(value / 1_000).toFixed(1)} KB`
      : `${Math.round(value)} B`;

export const ratio = (value: number, baseline: number): string =>
  baseline > 0 && Number.isFinite(value / baseline) ? `${(value / baseline).toFixed(2)}×` : '-';

/** Samples the process's RSS while a scenario runs and reports the peak. */
export const rssSampler = (intervalMs = 10): { stop: () => number } => {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
};
