import t from 'tap';
import { RigFrame, crc16 } from '../../../src/hardware/rig/frame.ts';
import { PROTOCOL_VERSION, packLevels, unpackLevels, typeName } from '../../../src/hardware/rig/messages.ts';
import { vectors } from './vectors.ts';

t.test('CRC-16/CCITT-FALSE check value', async (t) => {
  t.equal(crc16(Buffer.from('123456789', 'ascii')), 0x29b1);
  t.equal(crc16(Buffer.from(vectors.crcCheck.asciiHex, 'hex')), vectors.crcCheck.crc);
  t.equal(vectors.protocolVersion, PROTOCOL_VERSION);
});

t.test('every shared frame vector encodes and decodes to the same bytes', async (t) => {
  t.ok(vectors.frames.length >= 30, 'vectors cover the commands, responses and events');
  for (const v of vectors.frames) {
    const frame = new RigFrame(v.type, v.seq, Buffer.from(v.payloadHex, 'hex'));
    t.equal(frame.toBuffer().toString('hex'), v.hex, `${v.name}: encode`);
    const back = RigFrame.fromBuffer(Buffer.from(v.hex, 'hex'));
    t.equal(back.type, v.type, `${v.name}: type`);
    t.equal(back.seq, v.seq, `${v.name}: seq`);
    t.equal(back.payload.toString('hex'), v.payloadHex, `${v.name}: payload`);
  }
});

t.test('decode rejects bad CRC, bad LEN and wrong size with a coded error', async (t) => {
  const good = new RigFrame(0x02, 1).toBuffer();
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 1;
  t.throws(() => RigFrame.fromBuffer(bad), { code: 'GB_RIG_PROTOCOL' });
  t.throws(() => RigFrame.fromBuffer(good.subarray(0, 5)), { code: 'GB_RIG_PROTOCOL' });
  t.throws(() => new RigFrame(1, 0, Buffer.alloc(65)), { code: 'GB_RIG_PROTOCOL' });
  t.throws(() => new RigFrame(1, 256), { code: 'GB_RIG_PROTOCOL' });
});

t.test('level packing round-trips and matches PROTOCOL.md bit layout', async (t) => {
  const levels = Array.from({ length: 24 }, (_, n) => 170 * n + 5);
  const packed = packLevels(levels);
  t.equal(packed.length, 36);
  t.equal(packed[0], 5 & 0xff);
  t.equal(packed[1], (5 >> 8) | ((175 & 0x0f) << 4));
  t.equal(packed[2], 175 >> 4);
  t.same(unpackLevels(packed), levels);
  t.same(unpackLevels(packLevels(new Array(24).fill(4095))), new Array(24).fill(4095));
  t.throws(() => packLevels(new Array(24).fill(4096)), { code: 'GB_VALIDATION' });
  t.throws(() => packLevels(new Array(23).fill(0)), { code: 'GB_VALIDATION' });
  t.equal(typeName(0x81), 'IDENTIFY_RSP');
  t.equal(typeName(0xc1), 'STEP_DONE');
});
