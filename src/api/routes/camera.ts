import type { FastifyInstance } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';

/**
 * GET /api/camera/preview: the technician's live view, one PNG per request (the UI asks about once a
 * second). Each is a real capture through the booth's capture path (dark frame + one LED), taken only
 * while no job holds the hardware (409 GB_CONFLICT naming the job otherwise), so it never disturbs a scan.
 */
export async function cameraRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/camera/preview',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'One camera preview image (8-bit grey PNG, dark-subtracted, binned, stretched for the eye), lit by one LED; technicians only',
        tags: ['camera'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            led: { type: 'integer', minimum: 0, maximum: 23, default: 0, description: 'LED channel that lights the preview' },
            exposureUs: { type: 'integer', minimum: 100, maximum: 1000000, default: 10000, description: 'exposure, µs' },
            maxSidePx: { type: 'integer', minimum: 64, maximum: 2048, default: 640, description: 'longest side of the image, px' },
          },
        },
        response: {
          200: { description: 'the preview; X-Preview-* headers give the frame size, binning, white level and saturation', type: 'string', format: 'binary' },
          ...authErrorResponses,
          400: { $ref: 'Error#' },
          409: { $ref: 'Error#' },
          503: { $ref: 'Error#' },
        },
      },
    },
    async (request, reply) => {
      const { led, exposureUs, maxSidePx } = request.query as { led: number; exposureUs: number; maxSidePx: number };
      if (!app.services.accepting()) throw createError('GB_SHUTTING_DOWN', 'the booth is stopping; no preview now');
      const preview = app.services.cameraPreview;
      if (!preview) throw createError('GB_HW_ABSENT', 'this daemon has no booth (camera and LED rig) configured; see hardware.* in the settings');
      const p = await preview({ led, exposureUs, maxSidePx });
      reply
        .type('image/png')
        .header('cache-control', 'no-store')
        .header('x-preview-frame', `${p.frameWidthPx}x${p.frameHeightPx}`)
        .header('x-preview-binning', String(p.binning))
        .header('x-preview-white-dn', p.whiteDn.toFixed(1))
        .header('x-preview-saturated', p.saturatedFraction.toFixed(4));
      return reply.send(p.png);
    },
  );
}
