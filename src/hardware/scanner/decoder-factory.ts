import type { ScanDecoder } from './decoded-code.ts';
import { parseReportDescriptor } from './hid-descriptor.ts';
import { KeyboardReportDecoder } from './keyboard-decoder.ts';
import { keyboardLayout, type LayoutName } from './keyboard-layouts.ts';
import { COMMON_POS_DESCRIPTOR, PosReportDecoder } from './pos-decoder.ts';
import { SerialLineDecoder } from './serial-line-decoder.ts';
import type { ScannerConnectionInfo } from './scanner-source.ts';

const KEYBOARD_PAGE = 0x07;

export interface DecoderSettings {
  layout: LayoutName;
  idleResetMs: number;
}

/** The keyboard input report's id when the descriptor numbers its reports (composite devices), else undefined. */
export function keyboardReportId(descriptor: Uint8Array | undefined): number | undefined {
  if (!descriptor) return undefined;
  try {
    const layout = parseReportDescriptor(descriptor);
    if (!layout.usesReportIds) return undefined;
    return layout.fields.find((f) => f.usagePage === KEYBOARD_PAGE)?.reportId;
  } catch {
    return undefined;
  }
}

/** Pick the decoder for an opened scanner: serial lines, HID-POS reports, or boot keyboard reports. */
export function decoderFor(info: ScannerConnectionInfo, settings: DecoderSettings): ScanDecoder {
  if (info.protocol === 'serial') return new SerialLineDecoder({ idleResetMs: settings.idleResetMs });
  if (info.protocol === 'pos') {
    if (info.reportDescriptor) {
      try {
        return new PosReportDecoder(info.reportDescriptor);
      } catch {
        // A descriptor without a scanned-data report: the device still speaks the common layout.
      }
    }
    return new PosReportDecoder(COMMON_POS_DESCRIPTOR);
  }
  const reportId = keyboardReportId(info.reportDescriptor);
  return new KeyboardReportDecoder({ layout: keyboardLayout(settings.layout), idleResetMs: settings.idleResetMs, ...(reportId === undefined ? {} : { reportId }) });
}
