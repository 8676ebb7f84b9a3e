import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes,
  type APIUser, type GatewayGuildCreateDispatchData, type GatewayIdentifyData, type GatewayReadyDispatchData, type GatewayResumeData,
} from 'discord.js';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { noFlags, snowflake } from './fake-discord-payloads.js';

/**
 * The gateway side of the fake Discord: a WebSocket endpoint speaking plain JSON text frames (what
 * @discordjs/ws uses when zlib-sync is not installed). It runs one session at a time, numbers
 * every dispatch, keeps them all, and replays the ones a client missed when it RESUMEs, which is
 * what lets tests cut the connection and check that nothing is lost or doubled.
 */

export type DisconnectMode = 'resume' | 'reconnect-op' | 'invalid-session';

export interface GatewayDispatch {
  readonly s: number;
  readonly t: string;
  readonly d: unknown;
}

export interface GatewayOptions {
  readonly token: string;
  readonly botUser: APIUser;
  readonly applicationId: string;
  readonly heartbeatIntervalMs: number;
  /** GUILD_CREATE payloads, built when a session starts so they show the guilds as they are then. */
  readonly guildPayloads: () => GatewayGuildCreateDispatchData[];
}

interface Session {
  readonly id: string;
  readonly intents: number;
  readonly log: GatewayDispatch[];
  sequence: number;
  socket: WebSocket | undefined;
  /** Dispatches go out only while live: after READY or RESUMED, until the connection drops. */
  live: boolean;
  /** False once the client closed with 1000/1001 or was told its session is invalid: events then go nowhere. */
  resumable: boolean;
}

/** Opcodes a gateway client sends; anything else (presence, voice, member requests) is ignored. */
type ClientPayload = { op: GatewayOpcodes.Heartbeat } | { op: GatewayOpcodes.Identify; d: GatewayIdentifyData } | { op: GatewayOpcodes.Resume; d: GatewayResumeData } | { op: number };

const apiVersion = '10';

export class FakeGateway {
  identifyCount = 0;
  resumeCount = 0;
  heartbeatCount = 0;
  /** Every URL a client connected with, query included (`?v=10&encoding=json`). */
  readonly connectionUrls: string[] = [];
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly events = new EventEmitter();
  private session: Session | undefined;
  private origin = '';

  constructor(private readonly options: GatewayOptions) {
    this.server.on('connection', (socket, request) => this.onConnection(socket, request));
  }

  get url(): string {
    return `${this.origin}/gateway`;
  }

  /** A different path from `url`, so tests can tell that a resuming client used `resume_gateway_url`. */
  get resumeUrl(): string {
    return `${this.origin}/gateway-resume`;
  }

  attach(httpServer: Server, origin: string): void {
    this.origin = origin;
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!request.url?.startsWith('/gateway')) return void socket.destroy();
      this.server.handleUpgrade(request, socket, head, (client) => this.server.emit('connection', client, request));
    });
  }

  /**
   * Numbers and logs a dispatch, and sends it if a client is connected. Returns its sequence, or
   * undefined when the session's intents mean Discord would not send it at all.
   */
  dispatch(event: string, data: unknown): number | undefined {
    const session = this.requireSession();
    const delivered = deliverableData(event, data, session.intents, this.options.botUser.id);
    if (delivered === undefined) return undefined;
    const entry = { s: ++session.sequence, t: event, d: delivered };
    session.log.push(entry);
    if (session.live) this.send(session.socket, { op: GatewayOpcodes.Dispatch, ...entry });
    return entry.s;
  }

  /** Sends an already dispatched event once more, under a new sequence number. */
  redispatch(sequence: number): number {
    const entry = this.requireSession().log.find((logged) => logged.s === sequence);
    if (!entry) throw new Error(`no dispatch with sequence ${sequence}`);
    return this.dispatch(entry.t, entry.d) ?? sequence;
  }

  /** The current session's dispatches, all or of one event. */
  dispatchesOf(event?: string): GatewayDispatch[] {
    return this.session?.log.filter((entry) => event === undefined || entry.t === event) ?? [];
  }

  /**
   * Drops the connection the way Discord does: close code 4000 (the client resumes), op 7
   * RECONNECT (the client closes with 4200 and resumes), or op 9 with `d: false` (the session is
   * gone; the client identifies again, which discord.js's identify throttle delays by ~5–6.5 s,
   * and events dispatched meanwhile are lost, as on Discord). Resolves once the socket is closed;
   * @discordjs/ws waits 500 ms before reconnecting, so events dispatched right after a resumable
   * drop are missed, then replayed on RESUME.
   */
  async disconnect(mode: DisconnectMode): Promise<void> {
    const session = this.requireSession();
    const socket = session.socket;
    session.live = false;
    if (mode === 'invalid-session') session.resumable = false;
    if (!socket || socket.readyState !== socket.OPEN) return;
    const closed = once(socket, 'close');
    if (mode === 'resume') socket.close(GatewayCloseCodes.UnknownError, 'fake discord: connection dropped');
    else if (mode === 'reconnect-op') this.send(socket, { op: GatewayOpcodes.Reconnect, d: null });
    else this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
    await closed;
  }

  /** Resolves when a session is live again (READY or RESUMED sent), immediately if it is. */
  async whenLive(timeoutMs = 5_000): Promise<void> {
    if (this.session?.live) return;
    await once(this.events, 'live', { signal: AbortSignal.timeout(timeoutMs) });
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private requireSession(): Session {
    if (!this.session) throw new Error('no gateway session yet: log the client in first');
    return this.session;
  }

  private onConnection(socket: WebSocket, request: IncomingMessage): void {
    this.connectionUrls.push(request.url ?? '');
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    if (query.get('v') !== apiVersion) return void socket.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
    if (query.get('encoding') !== 'json') return void socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    socket.on('message', (raw, isBinary) => this.onPayload(socket, raw, isBinary));
    socket.on('close', (code) => this.onSocketClose(socket, code));
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
  }

  private onPayload(socket: WebSocket, raw: RawData, isBinary: boolean): void {
    let payload: ClientPayload;
    try {
      if (isBinary) throw new Error('binary frame');
      payload = JSON.parse(rawText(raw)) as ClientPayload;
    } catch {
      return void socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    }
    if (payload.op === GatewayOpcodes.Heartbeat) {
      this.heartbeatCount++;
      this.send(socket, { op: GatewayOpcodes.HeartbeatAck });
    } else if (payload.op === GatewayOpcodes.Identify && 'd' in payload) this.identify(socket, payload.d as GatewayIdentifyData);
    else if (payload.op === GatewayOpcodes.Resume && 'd' in payload) this.resume(socket, payload.d as GatewayResumeData);
  }

  /** A fresh session: READY, then one GUILD_CREATE per guild READY listed as unavailable. */
  private identify(socket: WebSocket, identify: GatewayIdentifyData): void {
    if (identify.token !== this.options.token) return void socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    if (this.session?.socket === socket) return void socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
    this.identifyCount++;
    const session: Session = { id: snowflake(), intents: identify.intents, log: [], sequence: 0, socket, live: true, resumable: true };
    this.session = session;
    const guilds = (identify.intents & GatewayIntentBits.Guilds) !== 0 ? this.options.guildPayloads() : [];
    const ready: GatewayReadyDispatchData = {
      v: Number(apiVersion), user: this.options.botUser, guilds: guilds.map((guild) => ({ id: guild.id, unavailable: true })), session_id: session.id,
      resume_gateway_url: this.resumeUrl, shard: identify.shard ?? [0, 1], application: { id: this.options.applicationId, flags: noFlags, flags_new: '0' },
    };
    this.dispatch(GatewayDispatchEvents.Ready, ready);
    for (const guild of guilds) this.dispatch(GatewayDispatchEvents.GuildCreate, guild);
    this.events.emit('live');
  }

  /** Replays what the client missed (sequence above its `seq`), then says RESUMED, as Discord does. */
  private resume(socket: WebSocket, resume: GatewayResumeData): void {
    if (resume.token !== this.options.token) return void socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
    const session = this.session;
    if (!session?.resumable || session.id !== resume.session_id) return void this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
    this.resumeCount++;
    if (session.socket !== socket && session.socket?.readyState === session.socket?.OPEN) session.socket?.terminate();
    session.socket = socket;
    for (const entry of session.log.filter((logged) => logged.s > resume.seq)) this.send(socket, { op: GatewayOpcodes.Dispatch, ...entry });
    this.send(socket, { op: GatewayOpcodes.Dispatch, t: GatewayDispatchEvents.Resumed, s: ++session.sequence, d: {} });
    session.live = true;
    this.events.emit('live');
  }

  /**
   * A client closing with 1000 or 1001 ends its session on Discord, so it cannot be resumed; the
   * session stays as the place where events dispatched until the next IDENTIFY are lost.
   */
  private onSocketClose(socket: WebSocket, code: number): void {
    const session = this.session;
    if (!session || session.socket !== socket) return;
    session.live = false;
    session.socket = undefined;
    if (code === 1000 || code === 1001) session.resumable = false;
  }

  private send(socket: WebSocket | undefined, payload: object): void {
    if (socket?.readyState === socket?.OPEN) socket?.send(JSON.stringify(payload));
  }
}

function rawText(raw: RawData): string {
  if (Array.isArray(raw)) return Buffer.concat(raw).toString('utf8');
  return Buffer.from(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw).toString('utf8');
}

const messageEvents = new Set<string>([GatewayDispatchEvents.MessageCreate, GatewayDispatchEvents.MessageUpdate, GatewayDispatchEvents.MessageDelete]);

/**
 * What Discord does with intents: guild message events need GuildMessages, DM ones
 * DirectMessages; and without the privileged MessageContent intent, guild messages that neither
 * mention the bot nor come from it arrive with empty content, attachments, embeds and components.
 */
function deliverableData(event: string, data: unknown, intents: number, botId: string): unknown {
  if (!messageEvents.has(event) || typeof data !== 'object' || data === null) return data;
  const message = data as { guild_id?: string; author?: { id: string }; mentions?: Array<{ id: string }> };
  const needed = message.guild_id ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
  if ((intents & needed) === 0) return undefined;
  const readable = !message.guild_id || (intents & GatewayIntentBits.MessageContent) !== 0 || message.author?.id === botId
    || (message.mentions ?? []).some((user) => user.id === botId);
  if (readable || event === GatewayDispatchEvents.MessageDelete) return data;
  return { ...message, content: '', attachments: [], embeds: [], components: [] };
}
