/**
 * Waits `ms`, or less when the signal aborts (already aborted: not at all). It always resolves:
 * each caller checks its own signal afterwards and reports the abort in its own terms (a
 * ModelError, an installer error), so no bare AbortError escapes a layer that promises typed errors.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
