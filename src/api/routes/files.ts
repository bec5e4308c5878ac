import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';

/** One `bytes=` range of a file of `size` bytes: [start, end] inclusive, or 'unsatisfiable', or undefined to send it whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: answered with the whole file, as RFC 9110 allows.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * GET /api/files/{sha256}: a stored file (maps, frames, calibration records) with its media type.
 * Content-addressed, so the sha256 is a strong ETag and the file never changes (immutable caching);
 * single byte ranges are served for large maps.
 */
export async function fileRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/files/:sha256',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Download a stored file by its sha256 (Range requests and If-None-Match supported)',
        tags: ['cards'],
        params: { type: 'object', required: ['sha256'], additionalProperties: false, properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
        response: {
          200: { description: 'the file, with its media type', type: 'string', format: 'binary' },
          206: { description: 'the requested byte range', type: 'string', format: 'binary' },
          304: { description: 'not modified (If-None-Match matched)', type: 'null' },
          ...authErrorResponses,
          400: { $ref: 'Error#' },
          404: { $ref: 'Error#' },
          416: { description: 'range not satisfiable', type: 'null' },
        },
      },
    },
    async (request, reply) => {
      const { sha256 } = request.params as { sha256: string };
      const blob = app.services.repos.blobs.get(sha256);
      if (!blob) throw createError('GB_NOT_FOUND', `no stored file ${sha256}`);
      const path = app.services.store.pathOf(sha256);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch {
        throw createError('GB_STORE_MISSING', `stored file ${sha256} is registered but missing from the store; restore the data directory from a backup`);
      }
      const etag = `"${sha256}"`;
      reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable').header('accept-ranges', 'bytes').type(blob.mediaType);
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send();
      const range = parseRange(typeof request.headers.range === 'string' ? request.headers.range : undefined, size);
      if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${size}`).send();
      if (range) {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
        return reply.send(createReadStream(path, { start: range.start, end: range.end }));
      }
      reply.header('content-length', size);
      return reply.send(createReadStream(path));
    },
  );
}
