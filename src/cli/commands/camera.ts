import { writeFile } from 'node:fs/promises';
import { createError } from '../../core/errors.ts';
import { encodePng } from '../../imaging/png.ts';
import type { PixelFormat } from '../../hardware/camera/camera.ts';
import { loadAravis } from '../../hardware/camera/genicam/aravis-addon.ts';
import { GenicamCamera } from '../../hardware/camera/genicam/genicam-camera.ts';
import { boolOption, intOption, printJson, stringOption, type Command } from '../command.ts';
import { printTable } from '../terminal-text.ts';

const idHelp = `  --id ID       the camera: Aravis device id (from \`camera list\`), serial number, user id or IP address;
                default: the first camera found`;

/** Technician commands for the booth's GenICam camera (GigE Vision / USB3 Vision through Aravis). */
export const cameraListCommand: Command = {
  name: 'camera list',
  summary: 'list GenICam cameras (GigE Vision discovery on every interface, USB3 Vision): vendor, model, serial, address',
  usage: '[--json]',
  help: `Discovers cameras once (about a second) and lists them. Without the GenICam addon (no libaravis at
install) it says why and lists none.
  --json        one JSON object: { available, reason?, aravis?, cameras: [{ id, vendor, model, serial, address, protocol }] }`,
  options: { json: { type: 'boolean' } },
  async run(args, ctx) {
    const json = boolOption(args, 'json');
    const a = loadAravis();
    if (!a.addon) {
      if (json) printJson(ctx, { available: false, reason: a.reason, cameras: [] });
      else ctx.stdout.write(`no GenICam camera available: ${a.reason}\n`);
      return 0;
    }
    const cameras = await a.addon.list();
    if (json) {
      printJson(ctx, { available: true, aravis: a.addon.aravisVersion, cameras });
    } else if (cameras.length === 0) {
      ctx.stdout.write(`no GenICam camera found (Aravis ${a.addon.aravisVersion}: GigE Vision discovery on every interface, USB3 Vision)\n`);
    } else {
      printTable(ctx.stdout, cameras.map((c) => [c.id, `${c.vendor} ${c.model}`, `serial ${c.serial}`, `${c.protocol} ${c.address}`]));
    }
    return 0;
  },
};

export const cameraIdentifyCommand: Command = {
  name: 'camera identify',
  summary: 'open a GenICam camera and report vendor, model, serial, firmware, sensor size and pixel formats',
  usage: '[--id ID] [--json]',
  help: `${idHelp}
  --json        one JSON object`,
  options: { id: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const camera = new GenicamCamera({ id: stringOption(args, 'id') ?? '', reconnectMs: 0 });
    try {
      const info = await camera.open();
      const g = camera.genicamIdentity!;
      const report = {
        openedAs: g.openedAs === '' ? '(first found)' : g.openedAs,
        vendor: g.vendor,
        model: g.model,
        serial: g.serial,
        firmware: g.firmware,
        deviceId: g.deviceId,
        userId: g.userId,
        protocol: g.protocol,
        address: g.address,
        sensorWidthPx: g.sensorWidth,
        sensorHeightPx: g.sensorHeight,
        widthPx: info.widthPx,
        heightPx: info.heightPx,
        cameraPixelFormats: g.pixelFormats,
        pixelFormats: info.pixelFormats,
        adcBits: info.adcBits,
        packetSizeBytes: g.packetSizeBytes,
      };
      if (boolOption(args, 'json')) printJson(ctx, report);
      else {
        // Vendor, model and serial come from the device over the network: printed escaped.
        printTable(ctx.stdout, [
          ['camera', `${g.vendor} ${g.model}, serial ${g.serial}, firmware ${g.firmware || 'unknown'}`],
          ['link', `${g.protocol} ${g.address}${g.packetSizeBytes ? `, packets ${g.packetSizeBytes} bytes` : ''}`],
          ['sensor', `${g.sensorWidth}×${g.sensorHeight} px (frame ${info.widthPx}×${info.heightPx})`],
          ['formats', `camera: ${g.pixelFormats.join(', ')}; delivered: ${info.pixelFormats.join(', ')}`],
        ]);
      }
      return 0;
    } finally {
      await camera.close();
    }
  },
};

export const cameraCaptureCommand: Command = {
  name: 'camera capture',
  summary: 'capture one frame from a GenICam camera (software trigger) into a 16-bit PNG',
  usage: '[--id ID] [--exposure-us N] [--gain G] [--pixel-format Mono8|Mono12|Mono16] [--timeout-ms N] [--out FILE]',
  help: `${idHelp}
  --exposure-us N   exposure, µs (default 10000)
  --gain G          analog gain, linear (1 = unity; default 1)
  --pixel-format F  delivered samples: Mono8, Mono12 or Mono16 (default Mono16); the PNG is 16-bit either way
  --timeout-ms N    wait this long for the frame (default 2000)
  --out FILE        where to write the PNG (default camera-<serial>.png)
Prints one JSON object: file, size, format and the frame's min/max/mean.
Example: gradebooth camera capture --id Aravis-Fake-GB001 --exposure-us 5000 --out /tmp/f.png`,
  options: {
    id: { type: 'string' },
    'exposure-us': { type: 'string' },
    gain: { type: 'string' },
    'pixel-format': { type: 'string' },
    'timeout-ms': { type: 'string' },
    out: { type: 'string' },
  },
  async run(args, ctx) {
    const exposureUs = intOption(args, 'exposure-us', 1, 10_000_000) ?? 10_000;
    const timeoutMs = intOption(args, 'timeout-ms', 1, 600_000) ?? 2000;
    const gainText = stringOption(args, 'gain');
    const gain = gainText === undefined ? 1 : Number(gainText);
    if (!(Number.isFinite(gain) && gain >= 1 && gain <= 64)) throw createError('GB_USAGE', `--gain: expected a number 1..64, got "${gainText}"`);
    const pixelFormat = (stringOption(args, 'pixel-format') ?? 'Mono16') as PixelFormat;
    if (!['Mono8', 'Mono12', 'Mono16'].includes(pixelFormat)) throw createError('GB_USAGE', `--pixel-format: expected Mono8, Mono12 or Mono16, got "${pixelFormat}"`);
    const camera = new GenicamCamera({ id: stringOption(args, 'id') ?? '', reconnectMs: 0, bufferCount: 1 });
    try {
      const info = await camera.open();
      await camera.configure({ exposureUs, gain, pixelFormat, triggerMode: 'software', timeoutMs, bufferCount: 1 });
      await camera.startAcquisition();
      await camera.softwareTrigger();
      const frame = await camera.nextFrame();
      const out = stringOption(args, 'out') ?? `camera-${info.serial.replace(/[^\w.-]/g, '_') || 'genicam'}.png`;
      let min = 65535;
      let max = 0;
      let sum = 0;
      const data = frame.data;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      await writeFile(out, await encodePng({ width: frame.width, height: frame.height, channels: 1, bitDepth: 16, data }));
      const report = { out, widthPx: frame.width, heightPx: frame.height, pixelFormat: frame.pixelFormat, exposureUs: frame.exposureUs, gain: frame.gain, timestampUs: frame.timestampUs, min, max, mean: Math.round((sum / data.length) * 100) / 100 };
      frame.release();
      printJson(ctx, report);
      return 0;
    } finally {
      await camera.close();
    }
  },
};

export const cameraCommands: readonly Command[] = [cameraListCommand, cameraIdentifyCommand, cameraCaptureCommand];
