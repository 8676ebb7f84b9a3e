/** What `/healthz` reports; the server adds `ok`, true when every part is. */
export interface HealthReport {
  /** A vision model is loaded (or its server configured) and not known to be gone. */
  readonly model: boolean;
  /** The database accepts writes. */
  readonly database: boolean;
  /** Each platform the bot runs, by name: connected and receiving. */
  readonly platforms: Readonly<Record<string, boolean>>;
}

export interface Health extends HealthReport {
  readonly ok: boolean;
}

/** A platform as health sees it: one without `isConnected` has no connection to lose (the console). */
export interface HealthPlatform {
  readonly name: string;
  isConnected?(): boolean;
}

export interface HealthProbes {
  model(): boolean | Promise<boolean>;
  databaseWritable(): boolean | Promise<boolean>;
  readonly platforms: readonly HealthPlatform[];
}

/**
 * The report from the bot's own probes. A probe that throws reads as false: a health check that
 * cannot tell is not healthy.
 */
export async function checkHealth(probes: HealthProbes): Promise<HealthReport> {
  const platforms: Record<string, boolean> = {};
  for (const platform of probes.platforms) platforms[platform.name] = platform.isConnected ? await probe(() => platform.isConnected!()) : true;
  return { model: await probe(() => probes.model()), database: await probe(() => probes.databaseWritable()), platforms };
}

async function probe(check: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return (await check()) === true;
  } catch {
    return false;
  }
}

/** `ok` added, every value a boolean, so the JSON can never carry anything a probe returned by mistake. */
export function toHealth(report: HealthReport): Health {
  const platforms: Record<string, boolean> = {};
  for (const [name, connected] of Object.entries(report.platforms ?? {})) platforms[name] = connected === true;
  const model = report.model === true;
  const database = report.database === true;
  return { ok: model && database && Object.values(platforms).every(Boolean), model, database, platforms };
}

export const UNHEALTHY: Health = Object.freeze({ ok: false, model: false, database: false, platforms: Object.freeze({}) });
