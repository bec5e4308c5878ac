import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { createError, isGradeboothError, type ErrorCode } from '../core/errors.ts';

/** Longest unix socket path Linux accepts (sun_path is 108 bytes, NUL included). */
const MAX_SOCKET_PATH_BYTES = 107;
/** Largest request line accepted, bytes. */
const MAX_REQUEST_BYTES = 16 * 1024;

/** What a handler may do besides answering: send event lines before its reply, and see the client leave. */
export interface ControlStream {
  /** One `{"event": …}` line to the client, before the final reply. */
  send(event: unknown): void;
  /** Aborted when the client disconnects. */
  closed: AbortSignal;
}

export type ControlHandler = (params: Record<string, unknown>, stream: ControlStream) => Promise<Record<string, unknown>>;

export type ControlReply = { ok: true; result: Record<string, unknown> } | { ok: false; code: ErrorCode; message: string };

/**
 * The daemon's local control channel: a unix socket in the data directory (mode 0600, so only the
 * daemon's user and root reach it) that takes one JSON request per line, `{"command": "...", "params":
 * {...}}`, and answers one JSON line (`{"ok": …}`), after zero or more `{"event": …}` lines for commands
 * that follow something (a job's progress). CLI commands use it to act on the running daemon's hardware.
 */
export class ControlSocket {
  private readonly path: string;
  private readonly handlers: ReadonlyMap<string, ControlHandler>;
  private server: Server | undefined;

  constructor(path: string, handlers: ReadonlyMap<string, ControlHandler>) {
    this.path = path;
    this.handlers = handlers;
  }

  async start(): Promise<void> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH_BYTES) {
      throw createError('GB_CONFIG_INVALID', `control socket path ${this.path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter data_dir`);
    }
    if (await isAlive(this.path)) throw createError('GB_CONFLICT', `another daemon answers on ${this.path}`);
    await unlink(this.path).catch(() => undefined); // a stale socket left by a crash
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    await chmod(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.path).catch(() => undefined);
  }

  private serve(socket: Socket): void {
    let buffered = '';
    const closed = new AbortController();
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => closed.abort());
    const stream: ControlStream = {
      send: (event) => {
        if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify({ event })}\n`);
      },
      closed: closed.signal,
    };
    socket.on('data', (text: string) => {
      buffered += text;
      if (buffered.length > MAX_REQUEST_BYTES) {
        socket.end(`${JSON.stringify({ ok: false, code: 'GB_PAYLOAD_TOO_LARGE', message: `request longer than ${MAX_REQUEST_BYTES} bytes` })}\n`);
        return;
      }
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const line = buffered.slice(0, nl);
      buffered = '';
      void this.answer(line, stream).then((reply) => {
        if (!socket.destroyed) socket.end(`${JSON.stringify(reply)}\n`);
      });
    });
  }

  private async answer(line: string, stream: ControlStream): Promise<ControlReply> {
    let request: { command?: unknown; params?: unknown };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      return { ok: false, code: 'GB_BAD_REQUEST', message: 'control request is not JSON' };
    }
    const handler = typeof request.command === 'string' ? this.handlers.get(request.command) : undefined;
    if (!handler) return { ok: false, code: 'GB_NOT_FOUND', message: `unknown control command ${JSON.stringify(request.command)}; known: ${[...this.handlers.keys()].join(', ')}` };
    const params = request.params && typeof request.params === 'object' && !Array.isArray(request.params) ? (request.params as Record<string, unknown>) : {};
    try {
      return { ok: true, result: await handler(params, stream) };
    } catch (err) {
      if (isGradeboothError(err)) return { ok: false, code: err.code, message: err.message };
      return { ok: false, code: 'GB_INTERNAL', message: (err as Error).message };
    }
  }
}

/** Whether a daemon answers on this control socket path. */
export function isAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Send one request to a daemon's control socket; rejects GB_HW_ABSENT when no daemon answers there.
 * `onEvent` gets each event line a following command sends before its reply; `timeoutMs` 0 waits as
 * long as the daemon keeps the request open (following a job); `signal` closes the connection.
 */
export function controlRequest(path: string, command: string, params: Record<string, unknown>, timeoutMs = 10_000, onEvent?: (event: unknown) => void, signal?: AbortSignal): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let text = '';
    let reply: ControlReply | undefined;
    const timer = timeoutMs > 0 ? setTimeout(() => {
      s.destroy();
      reject(createError('GB_HW_ABSENT', `the daemon on ${path} did not answer within ${timeoutMs} ms`));
    }, timeoutMs) : undefined;
    const onAbort = (): void => {
      s.destroy();
      reject(createError('GB_JOB_CANCELLED', `stopped following ${command}`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const takeLines = (): void => {
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        let parsed: { event?: unknown; ok?: boolean };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          done();
          s.destroy();
          reject(createError('GB_INTERNAL', `the daemon's control reply is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        if ('event' in parsed && parsed.ok === undefined) onEvent?.(parsed.event);
        else reply = parsed as ControlReply;
      }
    };
    s.setEncoding('utf8');
    s.once('connect', () => s.write(`${JSON.stringify({ command, params })}\n`));
    s.on('data', (chunk: string) => {
      text += chunk;
      takeLines();
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(createError('GB_HW_ABSENT', `no gradebooth daemon is running on this data directory (${path}: ${err.code ?? err.message}); start one with \`gradebooth serve\``));
    });
    s.once('end', () => {
      done();
      if (text.length > 0) {
        text += '\n';
        takeLines();
      }
      if (reply) resolve(reply);
      else reject(createError('GB_INTERNAL', `the daemon closed the control connection without a reply to ${command}`));
    });
  });
}
