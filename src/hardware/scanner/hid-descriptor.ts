import { createError } from '../../core/errors.ts';

/** One Input field of a report: where its bits sit and which usages it carries. */
export interface HidInputField {
  /** 0 when the device uses no report ids. */
  reportId: number;
  usagePage: number;
  /** Usages in order (ranges expanded); the last one repeats for further array/variable elements. */
  usages: number[];
  /** Bit offset of the field within the report, after the report-id byte. */
  bitOffset: number;
  reportSize: number;
  reportCount: number;
  /** Input item flags: bit 0 constant, bit 1 variable. */
  flags: number;
}

export interface HidReportLayout {
  fields: HidInputField[];
  /** Top-level application collections as (usagePage, usage). */
  applications: Array<{ usagePage: number; usage: number }>;
  /** Whether reports start with a report-id byte. */
  usesReportIds: boolean;
}

/**
 * Parse a HID report descriptor's short items into the Input fields of each report (global and local
 * item state as in HID 1.11 §6.2.2). Long items are skipped; Push/Pop are honoured. Only what is needed to
 * locate fields is kept: logical ranges and units are not.
 */
export function parseReportDescriptor(bytes: Uint8Array): HidReportLayout {
  type Globals = { usagePage: number; reportSize: number; reportCount: number; reportId: number };
  let g: Globals = { usagePage: 0, reportSize: 0, reportCount: 0, reportId: 0 };
  const stack: Globals[] = [];
  let usages: Array<{ page: number | undefined; id: number }> = [];
  let usageMin: { page: number | undefined; id: number } | undefined;
  const bitOffsets = new Map<number, number>();
  const fields: HidInputField[] = [];
  const applications: HidReportLayout['applications'] = [];
  let depth = 0;
  let usesReportIds = false;
  let i = 0;
  while (i < bytes.length) {
    const prefix = bytes[i];
    if (prefix === 0xfe) {
      // Long item: bDataSize follows.
      const size = bytes[i + 1] ?? 0;
      i += 3 + size;
      continue;
    }
    const sizeCode = prefix & 0x03;
    const size = sizeCode === 3 ? 4 : sizeCode;
    if (i + 1 + size > bytes.length) {
      throw createError('GB_HW_ABSENT', `HID report descriptor is truncated at byte ${i} (item needs ${size} data bytes, ${bytes.length - i - 1} left)`);
    }
    let data = 0;
    for (let k = 0; k < size; k++) data |= bytes[i + 1 + k] << (8 * k);
    data >>>= 0;
    const type = (prefix >> 2) & 0x03;
    const tag = (prefix >> 4) & 0x0f;
    i += 1 + size;
    // Extended usages (4 bytes) carry their own page in the high half.
    const localUsage = (): { page: number | undefined; id: number } => (size === 4 ? { page: data >>> 16, id: data & 0xffff } : { page: undefined, id: data });
    if (type === 1) {
      // Global items
      if (tag === 0x0) g.usagePage = data;
      else if (tag === 0x7) g.reportSize = data;
      else if (tag === 0x8) {
        g.reportId = data;
        usesReportIds = true;
      } else if (tag === 0x9) g.reportCount = data;
      else if (tag === 0xa) stack.push({ ...g });
      else if (tag === 0xb) g = stack.pop() ?? g;
    } else if (type === 2) {
      // Local items
      if (tag === 0x0) usages.push(localUsage());
      else if (tag === 0x1) usageMin = localUsage();
      else if (tag === 0x2 && usageMin) {
        const max = localUsage();
        for (let u = usageMin.id; u <= max.id && usages.length < 4096; u++) usages.push({ page: usageMin.page, id: u });
        usageMin = undefined;
      }
    } else if (type === 0) {
      // Main items
      if (tag === 0xa) {
        // Collection: application collections (type 1) at the top level name the device.
        if (depth === 0 && data === 1 && usages.length > 0) applications.push({ usagePage: usages[0].page ?? g.usagePage, usage: usages[0].id });
        depth += 1;
      } else if (tag === 0xc) {
        depth = Math.max(0, depth - 1);
      } else if (tag === 0x8) {
        const offset = bitOffsets.get(g.reportId) ?? 0;
        const page = usages[0]?.page ?? g.usagePage;
        fields.push({ reportId: g.reportId, usagePage: page, usages: usages.map((u) => u.id), bitOffset: offset, reportSize: g.reportSize, reportCount: g.reportCount, flags: data });
        bitOffsets.set(g.reportId, offset + g.reportSize * g.reportCount);
      }
      // Output and Feature items do not move Input offsets (they are other reports).
      usages = [];
      usageMin = undefined;
    }
  }
  return { fields, applications, usesReportIds };
}

/** Read `bits` bits (≤ 32) at `bitOffset` of a little-endian report body. */
export function readBits(body: Uint8Array, bitOffset: number, bits: number): number {
  let value = 0;
  for (let b = 0; b < bits; b++) {
    const bit = bitOffset + b;
    const byte = body[bit >> 3];
    if (byte === undefined) break;
    if ((byte >> (bit & 7)) & 1) value |= 1 << b;
  }
  return value >>> 0;
}
