import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createError } from '../../core/errors.ts';

/** Where `npm install` (scripts/build-ui.mjs) puts the built touchscreen UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui-dist/', import.meta.url));

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/**
 * The touchscreen UI: `/` is its page, `/ui/<file>` its assets, all read once from the built folder (no
 * CDN, nothing fetched at run time). The page is public; everything it shows comes from the API, which
 * needs a signed-in session.
 */
export async function uiRoutes(app: FastifyInstance, options: { uiDir?: string | undefined }): Promise<void> {
  const dir = options.uiDir ?? DEFAULT_UI_DIR;
  const files = new Map<string, { body: Buffer; type: string }>();
  if (existsSync(join(dir, 'index.html'))) {
    for (const name of readdirSync(dir)) {
      const ext = name.slice(name.lastIndexOf('.'));
      const type = MEDIA_TYPES[ext];
      if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }
  const headers = {
    // The UI runs only its own scripts; the API is same-origin.
    'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };

  app.get('/', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const page = files.get('index.html');
    if (!page) throw createError('GB_NOT_FOUND', `the touchscreen UI is not built (no ${join(dir, 'index.html')}); run \`npm run build:ui\``);
    return reply.headers(headers).type(page.type).send(page.body);
  });

  app.get('/ui/:file', { config: { role: 'public' }, schema: { hide: true, params: { type: 'object', required: ['file'], properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } } } } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = file === 'index.html' ? undefined : files.get(file);
    if (!asset) throw createError('GB_NOT_FOUND', `no UI asset ${file}`);
    return reply.headers(headers).type(asset.type).send(asset.body);
  });
}
