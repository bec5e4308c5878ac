import type { EventBus } from '../core/events.ts';
import type { TokenRepository, TokenRecord, Role } from '../storage/tokens.ts';
import type { AuditLog } from '../storage/audit-log.ts';
import type { OperatorRepository, SessionRepository } from '../storage/operators.ts';
import type { BoothStatus } from './status.ts';
import type { LiveSockets } from './hardening/live-sockets.ts';

/** What routes may use. Routes never touch hardware or SQL directly: they call these. */
export interface ApiServices {
  bus: EventBus;
  tokens: TokenRepository;
  audit: AuditLog;
  operators: OperatorRepository;
  sessions: SessionRepository;
  status(): Promise<BoothStatus>;
  /** False while stopping: new work is refused with GB_SHUTTING_DOWN. */
  accepting(): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: ApiServices;
    /** Open event websockets by owner, closed when their token is revoked. */
    liveSockets: LiveSockets;
  }
  interface FastifyRequest {
    /** The authenticated token, set by the auth hook; undefined on public routes. */
    principal: TokenRecord | undefined;
    /** The touchscreen session's cookie secret when the request was authenticated by a session. */
    sessionSecret: string | undefined;
  }
  interface FastifyContextConfig {
    /** Lowest role allowed; `public` routes need no token. Absent = operator. */
    role?: Role | 'public';
    /** The route accepts the token as `?access_token=` (the websocket route only: browsers cannot set its headers). */
    queryToken?: boolean;
  }
}
