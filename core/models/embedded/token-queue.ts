/**
 * Bridges a producer that pushes text from a callback (transformers.js streamers) to a consumer
 * that pulls with `for await`. The producer's end or failure is delivered after the text.
 */
export class TokenQueue {
  private readonly pending: string[] = [];
  private finished = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(text: string): void {
    if (text) this.pending.push(text);
    this.notify();
  }

  end(): void {
    this.finished = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.notify();
  }

  async *drain(): AsyncGenerator<string> {
    for (;;) {
      while (this.pending.length > 0) yield this.pending.shift()!;
      if (this.failure) throw this.failure.error;
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
