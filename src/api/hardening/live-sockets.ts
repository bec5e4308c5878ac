import type { WebSocket } from 'ws';

/** Who a websocket was opened by: a token id, or a touchscreen session (by its cookie secret). */
export type SocketOwner = { kind: 'token'; tokenId: string } | { kind: 'session'; secret: string };

// 1008 = policy violation (RFC 6455): the credentials the socket was opened with are no longer valid.
const CLOSE_REVOKED = 1008;

/**
 * Open event websockets by owner, so that revoking a token (or ending a session) closes its sockets:
 * at once when revoked over the API, and at the next re-check when revoked elsewhere (the CLI writes
 * the database directly). A revoked token kept receiving events before (issue 12).
 */
export class LiveSockets {
  private readonly owners = new Map<WebSocket, SocketOwner>();
  private timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.owners.size;
  }

  add(socket: WebSocket, owner: SocketOwner): void {
    this.owners.set(socket, owner);
    socket.once('close', () => this.owners.delete(socket));
  }

  /** Close every socket opened with this token; returns how many. */
  closeToken(tokenId: string, reason = 'token revoked'): number {
    let n = 0;
    for (const [socket, owner] of this.owners) {
      if (owner.kind === 'token' && owner.tokenId === tokenId) {
        this.close(socket, reason);
        n++;
      }
    }
    return n;
  }

  /** Every `intervalMs`, close the sockets whose owner `isLive` no longer accepts. */
  startRechecks(intervalMs: number, isLive: (owner: SocketOwner) => boolean): void {
    this.stopRechecks();
    this.timer = setInterval(() => {
      // One check per distinct owner, however many sockets it has open.
      const verdicts = new Map<string, boolean>();
      for (const [socket, owner] of this.owners) {
        const key = owner.kind === 'token' ? `t:${owner.tokenId}` : `s:${owner.secret}`;
        let live = verdicts.get(key);
        if (live === undefined) {
          live = isLive(owner);
          verdicts.set(key, live);
        }
        if (!live) this.close(socket, owner.kind === 'token' ? 'token revoked or expired' : 'session ended');
      }
    }, intervalMs);
    this.timer.unref();
  }

  stopRechecks(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private close(socket: WebSocket, reason: string): void {
    this.owners.delete(socket);
    socket.close(CLOSE_REVOKED, reason);
    // A client that ignores the close frame must not keep the socket: cut it after a moment.
    setTimeout(() => socket.terminate(), 1000).unref();
  }
}
