import { parseReportDescriptor, readBits, type HidInputField, type HidReportLayout } from './hid-descriptor.ts';
import type { DecodedCode, ScanDecoder } from './decoded-code.ts';

/** HID usage page of bar code scanners (HID Point of Sale Usage Tables 1.02). */
export const POS_USAGE_PAGE = 0x8c;
const POS = { scannedDataReport: 0x12, symbology1: 0xfb, symbology3: 0xfd, decodedData: 0xfe, decodeDataContinued: 0xff } as const;
const GENERIC_DESKTOP = 0x01;
const BYTE_COUNT = 0x3b;

/**
 * The report descriptor most HID-POS scanners (Honeywell, Zebra, Datalogic in "HID POS" mode) use, for a
 * device whose own descriptor cannot be read: report id 2, byte count, 3 symbology-identifier bytes, 56
 * data bytes, 2 vendor bytes, then the "decode data continued" bit.
 */
export const COMMON_POS_DESCRIPTOR = Uint8Array.from([
  0x05, 0x8c, 0x09, 0x02, 0xa1, 0x01, // Usage Page (Bar Code Scanner), Usage (Bar Code Scanner), Collection (Application)
  0x09, 0x12, 0xa1, 0x02, // Usage (Scanned Data Report), Collection (Logical)
  0x85, 0x02, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, // Report ID 2, Logical 0..255, Report Size 8
  0x95, 0x01, 0x05, 0x01, 0x09, 0x3b, 0x81, 0x02, // Byte Count: 1 byte
  0x95, 0x03, 0x05, 0x8c, 0x09, 0xfb, 0x09, 0xfc, 0x09, 0xfd, 0x81, 0x02, // Symbology Identifier 1..3
  0x95, 0x38, 0x09, 0xfe, 0x82, 0x02, 0x01, // Decoded Data: 56 bytes (buffered bytes)
  0x95, 0x02, 0x06, 0x66, 0xff, 0x09, 0x01, 0x81, 0x02, // 2 vendor bytes
  0x05, 0x8c, 0x09, 0xff, 0x25, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02, // Decode Data Continued: 1 bit
  0x75, 0x07, 0x81, 0x03, // padding
  0xc0, 0xc0,
]);

interface ScannedDataReport {
  reportId: number;
  /** Report length in bytes, report-id byte included when the device uses ids. */
  lengthBytes: number;
  byteCount: HidInputField | undefined;
  symbology: HidInputField | undefined;
  data: HidInputField;
  continued: HidInputField | undefined;
}

/** Find the scanned-data reports (those with a Decoded Data field) in a parsed descriptor. */
export function scannedDataReports(layout: HidReportLayout): ScannedDataReport[] {
  const byId = new Map<number, HidInputField[]>();
  for (const f of layout.fields) byId.set(f.reportId, [...(byId.get(f.reportId) ?? []), f]);
  const reports: ScannedDataReport[] = [];
  for (const [reportId, fields] of byId) {
    const has = (page: number, usage: number) => fields.find((f) => f.usagePage === page && f.usages.includes(usage));
    const data = has(POS_USAGE_PAGE, POS.decodedData);
    if (!data) continue;
    const bits = fields.reduce((end, f) => Math.max(end, f.bitOffset + f.reportSize * f.reportCount), 0);
    reports.push({
      reportId,
      lengthBytes: Math.ceil(bits / 8) + (layout.usesReportIds ? 1 : 0),
      byteCount: has(GENERIC_DESKTOP, BYTE_COUNT),
      symbology: has(POS_USAGE_PAGE, POS.symbology1) ?? has(POS_USAGE_PAGE, POS.symbology3),
      data,
      continued: has(POS_USAGE_PAGE, POS.decodeDataContinued),
    });
  }
  return reports;
}

/**
 * Decodes HID-POS scanned-data reports: the data bytes (as many as the byte count says, else up to the
 * first NUL), joined over reports flagged "decode data continued", with the AIM symbology identifier.
 * Reports of other ids (status, vendor) are skipped whole; bytes of an unknown id are skipped one by one
 * until a known report starts, so a stream read in pieces or with garbage still decodes.
 */
export class PosReportDecoder implements ScanDecoder {
  private readonly layout: HidReportLayout;
  private readonly reports: Map<number, ScannedDataReport>;
  private readonly otherReportBytes: Map<number, number>;
  private pending = new Uint8Array(0);
  private data: number[] = [];
  private symbology = '';

  constructor(descriptor: Uint8Array = COMMON_POS_DESCRIPTOR) {
    this.layout = parseReportDescriptor(descriptor);
    this.reports = new Map(scannedDataReports(this.layout).map((r) => [r.reportId, r]));
    if (this.reports.size === 0) throw new Error('the HID report descriptor has no scanned-data report (usage page 0x8C, Decoded Data 0xFE)');
    // Lengths of the device's other input reports, so they can be skipped as a whole.
    const ends = new Map<number, number>();
    for (const f of this.layout.fields) ends.set(f.reportId, Math.max(ends.get(f.reportId) ?? 0, f.bitOffset + f.reportSize * f.reportCount));
    this.otherReportBytes = new Map([...ends].filter(([id]) => !this.reports.has(id)).map(([id, bits]) => [id, Math.ceil(bits / 8) + 1]));
  }

  reset(): void {
    this.pending = new Uint8Array(0);
    this.data = [];
    this.symbology = '';
  }

  push(chunk: Uint8Array, atMs: number): DecodedCode[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending, 0);
    buf.set(chunk, this.pending.length);
    const out: DecodedCode[] = [];
    let at = 0;
    for (;;) {
      const left = buf.length - at;
      if (left <= 0) break;
      const id = this.layout.usesReportIds ? buf[at] : 0;
      const report = this.reports.get(id);
      const skip = this.layout.usesReportIds ? this.otherReportBytes.get(id) : undefined;
      if (!report && skip === undefined) {
        at += 1;
        continue;
      }
      const need = report ? report.lengthBytes : skip!;
      if (left < need) break;
      if (report) {
        const body = buf.subarray(at + (this.layout.usesReportIds ? 1 : 0), at + need);
        const code = this.onReport(report, body, atMs);
        if (code) out.push(code);
      }
      at += need;
    }
    this.pending = buf.slice(at);
    return out;
  }

  private onReport(report: ScannedDataReport, body: Uint8Array, atMs: number): DecodedCode | undefined {
    const f = report.data;
    const capacity = f.reportCount * Math.ceil(f.reportSize / 8);
    let count = report.byteCount ? readBits(body, report.byteCount.bitOffset, report.byteCount.reportSize) : capacity;
    count = Math.min(count, capacity);
    const first = f.bitOffset / 8;
    let bytes = [...body.subarray(first, first + count)];
    if (!report.byteCount) {
      const nul = bytes.indexOf(0);
      if (nul >= 0) bytes = bytes.slice(0, nul);
    }
    if (this.data.length === 0 && report.symbology) {
      const s = report.symbology;
      const sym: number[] = [];
      for (let k = 0; k < s.reportCount; k++) sym.push(readBits(body, s.bitOffset + k * s.reportSize, s.reportSize));
      this.symbology = String.fromCharCode(...sym.filter((b) => b !== 0));
    }
    this.data.push(...bytes);
    const more = report.continued ? readBits(body, report.continued.bitOffset, 1) === 1 : false;
    if (more) return undefined;
    const raw = this.data;
    this.data = [];
    // A suffix the scanner was configured to add (CR, LF, Tab) is not part of the code.
    while (raw.length > 0 && (raw[raw.length - 1] === 0x0d || raw[raw.length - 1] === 0x0a || raw[raw.length - 1] === 0x09)) raw.pop();
    if (raw.length === 0) return undefined;
    const code: DecodedCode = { text: String.fromCharCode(...raw), problems: [], atMs };
    if (this.symbology) code.symbology = this.symbology;
    this.symbology = '';
    return code;
  }
}
