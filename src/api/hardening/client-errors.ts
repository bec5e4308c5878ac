import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { errorCodes, type ErrorCode } from '../../core/errors.ts';

/**
 * Answer errors that happen before a request reaches fastify (headers or body too slow, malformed HTTP)
 * with the same `{statusCode, code, message}` body as every other error, then close the connection.
 */
export function clientErrorHandler(log: FastifyBaseLogger): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let code: ErrorCode;
    let message: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      code = 'GB_REQUEST_TIMEOUT';
      message = 'the request headers or body did not arrive within the server\'s time limit';
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      code = 'GB_PAYLOAD_TOO_LARGE';
      message = 'request headers are too large';
    } else {
      code = 'GB_BAD_REQUEST';
      message = 'malformed HTTP request';
    }
    const status = code === 'GB_PAYLOAD_TOO_LARGE' ? 431 : errorCodes[code].status;
    log.warn({ code, err: err.code, remote: socket.remoteAddress }, 'client error before routing');
    if (socket.writable) {
      const body = JSON.stringify({ statusCode: status, code, message });
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
