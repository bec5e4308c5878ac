import type { EventBus } from '../core/events.ts';
import type { TokenRepository, TokenRecord, Role } from '../storage/tokens.ts';
import type { AuditLog } from '../storage/audit-log.ts';
import type { OperatorRepository, SessionRepository } from '../storage/operators.ts';
import type { BoothStatus } from './status.ts';

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
  }
  interface FastifyRequest {
    /** The authenticated token, set by the auth hook; undefined on public routes. */
    principal: TokenRecord | undefined;
  }
  interface FastifyContextConfig {
    /** Lowest role allowed; `public` routes need no token. Absent = operator. */
    role?: Role | 'public';
  }
}
