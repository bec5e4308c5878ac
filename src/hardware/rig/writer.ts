import { RigFrame } from './frame.ts';
import { EVENT_ACK } from './messages.ts';

/** Encode a command frame: the bytes to put on the wire. */
export function encodeCommand(type: number, seq: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  return new RigFrame(type, seq, payload).toBuffer();
}

/** Encode EVENT_ACK for the firmware event numbered `eventSeq` (the frame's own SEQ is 0 and ignored). */
export function encodeEventAck(eventSeq: number): Buffer {
  return new RigFrame(EVENT_ACK, 0, Buffer.from([eventSeq & 0xff])).toBuffer();
}
