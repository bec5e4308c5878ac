// The GenICam stream thread's in-place unpacking (native/aravis/unpack.c, the very function the addon
// runs on every frame), on synthetic buffers for the formats Aravis' fake camera cannot send (Mono10/12/14,
// PFNC Mono10p/12p/14p, GigE Vision Mono10Packed/Mono12Packed), packed here by an independent encoder
// written from the PFNC and GigE Vision definitions. Also the wire-format choice per delivered format.
import t from 'tap';
import { loadAravis } from '../../../src/hardware/camera/genicam/aravis-addon.ts';
import { chooseWireFormat, deliverableFormats } from '../../../src/hardware/camera/genicam/pixel-formats.ts';

/** Encode pixels (each < 2^bits) as the camera would send them, at the start of a width × height 16-bit buffer. */
function encode(format: string, pixels: number[]): Uint16Array {
  const out = new Uint16Array(pixels.length);
  const bytes = new Uint8Array(out.buffer);
  const bitsOf: Record<string, number> = { Mono10p: 10, Mono12p: 12, Mono14p: 14 };
  if (format === 'Mono8') pixels.forEach((v, i) => (bytes[i] = v));
  else if (/^Mono1[0246]$/.test(format)) pixels.forEach((v, i) => ((bytes[2 * i] = v & 0xff), (bytes[2 * i + 1] = v >> 8)));
  else if (format in bitsOf) {
    // PFNC packed: an LSB-first bit stream.
    const n = bitsOf[format];
    pixels.forEach((v, i) => {
      for (let k = 0; k < n; k++) if ((v >> k) & 1) bytes[(i * n + k) >> 3] |= 1 << ((i * n + k) & 7);
    });
  } else if (format === 'Mono12Packed') {
    for (let i = 0; i < pixels.length; i += 2) {
      const a = pixels[i], b = pixels[i + 1] ?? 0, o = (i / 2) * 3;
      bytes[o] = a >> 4;
      bytes[o + 1] = (a & 0xf) | ((b & 0xf) << 4);
      bytes[o + 2] = b >> 4;
    }
  } else if (format === 'Mono10Packed') {
    for (let i = 0; i < pixels.length; i += 2) {
      const a = pixels[i], b = pixels[i + 1] ?? 0, o = (i / 2) * 3;
      bytes[o] = a >> 2;
      bytes[o + 1] = (a & 3) | ((b & 3) << 4);
      bytes[o + 2] = b >> 2;
    }
  } else throw new Error(format);
  return out;
}

const aravis = loadAravis();
if (!aravis.addon) {
  t.plan(0, `GenICam addon not built: ${aravis.reason}`);
} else {
  const addon = aravis.addon;
  const cases: Array<[string, number]> = [
    ['Mono8', 8], ['Mono10', 10], ['Mono12', 12], ['Mono14', 14], ['Mono16', 16],
    ['Mono10p', 10], ['Mono12p', 12], ['Mono14p', 14], ['Mono10Packed', 10], ['Mono12Packed', 12],
  ];
  for (const [format, bits] of cases) {
    t.test(`${format}: unpacked in place to 8, 12 and 16 bits`, async (t) => {
      // Odd pixel counts (a half pair at the end), extremes and a ramp.
      for (const count of [1, 2, 3, 7, 8, 9, 641]) {
        const max = 2 ** bits - 1;
        const pixels = Array.from({ length: count }, (_, i) => (i === 0 ? max : i === 1 ? 0 : (i * 2654435761) % (max + 1)));
        const expectedBytes = { Mono8: count, Mono10Packed: Math.ceil(count / 2) * 3, Mono12Packed: Math.ceil(count / 2) * 3 }[format as 'Mono8'] ?? (/p$/.test(format) ? Math.ceil((count * bits) / 8) : count * 2);
        t.equal(addon.wireBytes(format, count), expectedBytes, `${format} × ${count}: ${expectedBytes} bytes on the wire`);
        for (const outBits of [8, 12, 16]) {
          const buf = encode(format, pixels);
          addon.unpack(buf, format, count, outBits);
          const shift = outBits - bits;
          const want = pixels.map((v) => (shift >= 0 ? (v << shift) & 0xffff : v >> -shift));
          const bad = want.findIndex((v, i) => buf[i] !== v);
          t.equal(bad, -1, `${format} × ${count} → ${outBits} bits${bad >= 0 ? `: pixel ${bad} is ${buf[bad]}, expected ${want[bad]}` : ''}`);
        }
      }
    });
  }

  t.test('wire format per delivered format', async (t) => {
    const fake = ['BayerBG8', 'Mono8', 'RGB8', 'Mono16'];
    t.same(deliverableFormats(fake), ['Mono8', 'Mono12', 'Mono16'], "Aravis' fake camera: Mono12 from Mono16");
    t.equal(chooseWireFormat('Mono12', fake), 'Mono16');
    const packedOnly = ['Mono8', 'Mono12Packed', 'Mono12p'];
    t.equal(chooseWireFormat('Mono12', packedOnly), 'Mono12p', 'PFNC packed before GigE Vision packed');
    t.equal(chooseWireFormat('Mono16', packedOnly), 'Mono12p', 'Mono16 from the 12-bit sensor, scaled');
    t.equal(chooseWireFormat('Mono12', ['Mono8']), undefined, 'never Mono12 from an 8-bit wire');
    t.same(deliverableFormats(['Mono8']), ['Mono8']);
    t.equal(chooseWireFormat('Mono12', packedOnly, 'Mono12Packed'), 'Mono12Packed', 'a forced wire format');
    t.equal(chooseWireFormat('Mono12', packedOnly, 'Mono14'), undefined, 'a forced format the camera lacks');
  });
}
