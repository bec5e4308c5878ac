import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../../core/version.ts';

// A client that cannot keep up (its socket buffer grows past this) is disconnected rather than letting
// the daemon's memory grow; it reconnects and re-reads state over HTTP.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** GET /api/events (websocket): live events — job progress, hardware status, … — one JSON object per message. */
export async function eventRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/events',
    {
      websocket: true,
      config: { role: 'operator', queryToken: true },
      schema: {
        summary: 'Websocket of live booth events; authenticate with the Authorization header or ?access_token=',
        tags: ['events'],
        querystring: { type: 'object', properties: { access_token: { type: 'string' } } },
      },
    },
    (socket, request) => {
      const principal = request.principal;
      if (request.sessionSecret !== undefined) app.liveSockets.add(socket, { kind: 'session', secret: request.sessionSecret });
      else if (principal) app.liveSockets.add(socket, { kind: 'token', tokenId: principal.id });
      socket.send(JSON.stringify({ type: 'hello', data: { version: packageVersion, role: request.principal?.role } }));
      const unsubscribe = app.services.bus.onAny((event) => {
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'client too slow');
          return;
        }
        socket.send(JSON.stringify(event));
      });
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      // Clients only listen; anything they send is ignored (and must not crash the daemon).
      socket.on('message', () => undefined);
    },
  );
}
