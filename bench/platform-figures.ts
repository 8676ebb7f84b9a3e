/** What a platform benchmark reports: per-message latency one at a time, and a burst's rate. */
export interface PlatformFigures {
  readonly latencyMs: number[];
  /** Messages in the burst. */
  readonly burst: number;
  readonly perSecond: number;
}
