import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript entry point of the repository as its own process, the way `npm start` does. */
export function runEntry(
  entry: string,
  args: readonly string[],
  options: {
    input?: string;
    environment?: Record<string, string>;
    cwd?: string;
    /** For long-running entry points: sends SIGTERM once this settles, as a service manager would. */
    stopWhen?: Promise<unknown>;
    /** Runs it as this user (and the group of the same number); needs root. For permission checks, which root bypasses. */
    uid?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${REPOSITORY}/${entry}`, ...args], {
      cwd: options.cwd ?? REPOSITORY,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.environment },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.stopWhen) void options.stopWhen.finally(() => child.kill('SIGTERM'));
    else child.stdin.end(options.input ?? '');
  });
}
