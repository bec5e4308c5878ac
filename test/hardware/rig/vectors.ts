// The shared byte vectors of firmware/protocol-vectors.json (written from PROTOCOL.md by the firmware
// side; its C unit tests read the same file), so host and firmware are tested with the same bytes.
import { readFileSync } from 'node:fs';

export interface FrameVector { name: string; description: string; hex: string; seq: number; type: number; payloadHex: string }
export interface ParserVector {
  name: string;
  description: string;
  chunks: string[];
  frames: { seq: number; type: number; payloadHex: string }[];
  crcErrors: number;
  pendingBytes: number;
}
export interface ProtocolVectors { protocolVersion: number; crcCheck: { asciiHex: string; crc: number }; frames: FrameVector[]; parser: ParserVector[] }

export const vectors = JSON.parse(readFileSync(new URL('../../../firmware/protocol-vectors.json', import.meta.url), 'utf8')) as ProtocolVectors;

/** The frame vector called `name` (throws when missing, so a renamed vector fails loudly). */
export function frameVector(name: string): FrameVector {
  const v = vectors.frames.find((f) => f.name === name);
  if (!v) throw new Error(`protocol-vectors.json has no frame vector "${name}"`);
  return v;
}

/** Payload bytes of the frame vector called `name`. */
export function payloadOf(name: string): Buffer {
  return Buffer.from(frameVector(name).payloadHex, 'hex');
}
