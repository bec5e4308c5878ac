import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// A client's X-Request-Id ends up in logs and error bodies: accept only a short id of safe characters
// (an 8 KiB header or markup was reflected verbatim before, issue 12).
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id: the client's X-Request-Id when short and safe, else a fresh UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const offered = request.headers['x-request-id'];
  return typeof offered === 'string' && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
}
