/** Summary statistics of the benchmark's samples. */

/** The q-quantile (0 < q ≤ 1) by the nearest-rank method: a value that was actually observed. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1];
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}
