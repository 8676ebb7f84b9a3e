import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder per test, removed afterwards; no fixed names, so parallel runs never collide. */
export function makeTempFolder(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'seed-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
