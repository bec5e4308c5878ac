import type { FastifyInstance } from 'fastify';
import { createError } from '../../core/errors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode a body as UTF-8, refusing invalid byte sequences instead of replacing them with U+FFFD. */
function decodeUtf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw createError('GB_BAD_REQUEST', 'request body is not valid UTF-8');
  }
}

/**
 * Replace fastify's JSON and text parsers with ones that refuse invalid UTF-8: the defaults decode with
 * replacement characters, so a malformed body was stored as something the client never sent (issue 12).
 */
export function registerStrictUtf8Parsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = decodeUtf8(body as Buffer);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, decodeUtf8(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
