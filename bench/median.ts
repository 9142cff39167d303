/** The median of the bench scripts' timings (the upper middle value of an even count; NaN when empty). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}
