import type { PixelFormat } from '../camera.ts';

/** The mono wire formats the stream thread unpacks (native/aravis/unpack.c), with their significant bits. */
export const wireFormatBits: Readonly<Record<string, number>> = {
  Mono8: 8,
  Mono10: 10,
  Mono10p: 10,
  Mono10Packed: 10,
  Mono12: 12,
  Mono12p: 12,
  Mono12Packed: 12,
  Mono14: 14,
  Mono14p: 14,
  Mono16: 16,
};

export const deliveredBits: Readonly<Record<PixelFormat, number>> = { Mono8: 8, Mono12: 12, Mono16: 16 };

/**
 * Which wire format to ask the camera for, per delivered format, best first: the exact depth (unpacked,
 * then PFNC packed, then GigE Vision packed), then deeper formats shifted down. Shallower wire formats are
 * not used for deeper deliveries (Mono8 as "Mono16" would claim precision the sensor never sent), except
 * Mono10/Mono12 for Mono16, which are the sensor's real depth scaled to the 16-bit range.
 */
const preferences: Readonly<Record<PixelFormat, readonly string[]>> = {
  Mono8: ['Mono8', 'Mono10', 'Mono12', 'Mono16', 'Mono14', 'Mono12p', 'Mono12Packed', 'Mono10p', 'Mono10Packed', 'Mono14p'],
  Mono12: ['Mono12', 'Mono12p', 'Mono12Packed', 'Mono14', 'Mono14p', 'Mono16'],
  Mono16: ['Mono16', 'Mono14', 'Mono14p', 'Mono12', 'Mono12p', 'Mono12Packed', 'Mono10', 'Mono10p', 'Mono10Packed'],
};

/** Whether a wire format may carry a delivered format (see preferences). */
function carries(delivered: PixelFormat, wire: string): boolean {
  return preferences[delivered].includes(wire);
}

/**
 * The wire format for a delivered format among the camera's PixelFormat entries (undefined: none fits);
 * `forced` (settings: hardware.camera.genicam.wire_pixel_format) is the only candidate when given.
 */
export function chooseWireFormat(delivered: PixelFormat, available: readonly string[], forced?: string): string | undefined {
  if (forced) return available.includes(forced) && carries(delivered, forced) ? forced : undefined;
  return preferences[delivered].find((f) => available.includes(f));
}

/** The delivered formats a camera with these PixelFormat entries can give. */
export function deliverableFormats(available: readonly string[], forced?: string): PixelFormat[] {
  return (['Mono8', 'Mono12', 'Mono16'] as const).filter((p) => chooseWireFormat(p, available, forced) !== undefined);
}
