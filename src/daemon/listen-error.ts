import { createError, type GradeboothError } from '../core/errors.ts';

/**
 * The coded error for a failed listen(): GB_PORT_IN_USE for a taken port, GB_LISTEN_FAILED for anything
 * else (no such address, a privileged port), with the address and port in the message and the details.
 */
export function listenError(err: unknown, host: string, port: number): GradeboothError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const details = { host, port, cause: code ?? String(err) };
  if (code === 'EADDRINUSE') {
    return createError('GB_PORT_IN_USE', `cannot listen on ${host}:${port}: port ${port} is in use by another process (set http.port, GRADEBOOTH_PORT or --port)`, details);
  }
  const why = code === 'EADDRNOTAVAIL' ? 'no interface has this address' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : (err as Error)?.message ?? String(err);
  return createError('GB_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${why}`, details);
}
