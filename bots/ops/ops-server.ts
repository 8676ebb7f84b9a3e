import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/index.js';
import { toHealth, UNHEALTHY, type Health, type HealthReport } from './health.js';

/** What `/metrics` serves: a prom-client `Registry` has both. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface OpsServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Loopback by default: the metrics say how busy the bot is, which is for its operator alone. */
  readonly host?: string;
  readonly registry: MetricsSource;
  readonly health: () => Promise<HealthReport> | HealthReport;
  readonly logger: Logger;
  /** A health check that takes longer reads as unhealthy; default 5 s. */
  readonly healthTimeoutMs?: number;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Why the ops server could not start, in words for the person running the bot. */
export class OpsServerStartError extends Error {
  override readonly name = 'OpsServerStartError';
}

const DEFAULT_HEALTH_TIMEOUT_MS = 5000;
// A scrape or a probe is one small request: anything slower is a stuck or hostile client.
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The operator's endpoint: `/healthz` (200 when the model, the database and every platform are
 * fine, else 503, with the same JSON) and `/metrics` in Prometheus text format. GET and HEAD
 * only. An error answers 500 with a fixed text, never the error: this port may be reachable from
 * a monitoring host that should not learn paths or messages.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { logger, registry } = options;
  const host = options.host ?? '127.0.0.1';
  const healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  let lastOk: boolean | undefined;

  async function currentHealth(): Promise<Health> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), healthTimeoutMs);
        timer.unref();
      });
      const report = await Promise.race([Promise.resolve().then(() => options.health()), timeout]);
      if (report === 'timeout') {
        logger.warn({ timeoutMs: healthTimeoutMs }, 'health check took too long; reported unhealthy');
        return UNHEALTHY;
      }
      return toHealth(report);
    } catch (error) {
      logger.error({ err: error }, 'health check failed; reported unhealthy');
      return UNHEALTHY;
    } finally {
      clearTimeout(timer);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/healthz' && path !== '/metrics') return send(request, response, 404, 'text/plain; charset=utf-8', 'Not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return send(request, response, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    }
    if (path === '/metrics') return send(request, response, 200, registry.contentType, await registry.metrics());
    const health = await currentHealth();
    // Logged when it changes, not at every probe: a monitor asks every few seconds.
    if (health.ok !== lastOk) {
      if (health.ok) logger.info('health check passing');
      else logger.warn({ model: health.model, database: health.database, platforms: health.platforms }, 'health check failing');
      lastOk = health.ok;
    }
    return send(request, response, health.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(health)}\n`);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, path: (request.url ?? '').split('?', 1)[0] }, 'ops request failed');
      if (response.headersSent) response.destroy();
      else send(request, response, 500, 'text/plain; charset=utf-8', 'Internal error\n');
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      server.off('listening', listening);
      reject(describeListenError(error, options.port, host));
    };
    const listening = (): void => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen({ port: options.port, host });
  });
  server.on('error', (error) => logger.error({ err: error }, 'ops server error'));
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, 'ops endpoint listening (/healthz, /metrics)');

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's kept-alive connection would otherwise hold the close until it times out.
        server.closeIdleConnections();
      }),
  };
}

function send(request: IncomingMessage, response: ServerResponse, status: number, contentType: string, body: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.end(request.method === 'HEAD' ? undefined : body);
}

function describeListenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new OpsServerStartError(`OPS_PORT ${port} on ${host} is already in use by another program. Set OPS_PORT to a free port, or leave it empty to turn the ops endpoint off.`, { cause: error });
  }
  if (error.code === 'EACCES') {
    return new OpsServerStartError(`Not allowed to listen on OPS_PORT ${port} on ${host}. Choose a port above 1023, or leave OPS_PORT empty to turn the ops endpoint off.`, { cause: error });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new OpsServerStartError(`OPS_HOST ${host} is not an address of this machine. Set OPS_HOST to one (127.0.0.1 by default), or leave OPS_PORT empty to turn the ops endpoint off.`, { cause: error });
  }
  return error;
}
