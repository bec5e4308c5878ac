#!/usr/bin/env python3
"""Generates firmware/protocol-vectors.json from PROTOCOL.md's rules (an implementation independent of
firmware/src/protocol.c, so the C unit test cross-checks both). Run: python3 firmware/tools/gen-vectors.py"""
import json
import os
import struct

SYNC = 0xA5
MAX_PAYLOAD = 64


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def frame(seq: int, typ: int, payload: bytes) -> bytes:
    body = bytes([len(payload), seq, typ]) + payload
    return bytes([SYNC]) + body + struct.pack('>H', crc16(body))


def parse(chunks):
    """Reference parser: returns (frames, crcErrors, pendingBytes) after feeding all chunks."""
    buf = bytearray()
    frames = []
    crc_errors = 0
    for chunk in chunks:
        for b in chunk:
            buf.append(b)
            while True:
                while buf and buf[0] != SYNC:
                    del buf[0]
                if len(buf) < 2:
                    break
                n = buf[1]
                if n > MAX_PAYLOAD:
                    del buf[0]
                    continue
                if len(buf) < n + 6:
                    break
                if crc16(bytes(buf[1:4 + n])) != struct.unpack('>H', bytes(buf[4 + n:6 + n]))[0]:
                    crc_errors += 1
                    del buf[0]
                    continue
                frames.append({'seq': buf[2], 'type': buf[3], 'payloadHex': bytes(buf[4:4 + n]).hex()})
                del buf[:n + 6]
    return frames, crc_errors, len(buf)


def pack_levels(levels):
    out = bytearray()
    for i in range(0, 24, 2):
        a, b = levels[i], levels[i + 1]
        out += bytes([a & 0xFF, (a >> 8) | ((b & 0x0F) << 4), b >> 4])
    return bytes(out)


def step(mask, level, settle_us, trigger_us, exposure_us):
    return struct.pack('<I', mask)[:3] + struct.pack('<HIHI', level, settle_us, trigger_us, exposure_us)


u8 = lambda v: struct.pack('<B', v)
u16 = lambda v: struct.pack('<H', v)
i16 = lambda v: struct.pack('<h', v)
u32 = lambda v: struct.pack('<I', v)

ramp = [i * 170 + 5 for i in range(24)]
serial = b'RIG-0001'.ljust(16, b'\0')
identify_resp = (u8(0) + u8(1) + bytes([1, 0, 0]) + u8(24) + u8(48) + u8(64) + u16(0x000F) + u32(16000000)
                 + u16(7) + u8(0x01) + serial + u16(768))
status_resp = (u8(0) + u8(1) + u16(0x0000) + u8(0x00) + i16(2512) + u16(512) + u8(3) + u8(1) + u32(1234567)
               + u16(1500) + u16(5000) + i16(7000) + pack_levels([0] * 5 + [4095] + [0] * 18))

frames = [
    ('IDENTIFY', 'IDENTIFY command, SEQ 0, empty payload', 0, 0x01, b''),
    ('IDENTIFY response', 'IDENTIFY response: protocol 1, firmware 1.0.0, 24 channels, 48 steps, 64 bytes, '
     'capabilities 0x000F, 16 MHz, bootId 7, power-on reset, serial RIG-0001, 768 geometry bytes',
     0, 0x81, identify_resp),
    ('PING', 'PING command, SEQ 1', 1, 0x02, b''),
    ('PING response', 'PING response: status 0, nowUs 123456789', 1, 0x82, u8(0) + u32(123456789)),
    ('SET_LEVELS', 'SET_LEVELS: channel n = 170n+5 (channel 0 = 5, channel 23 = 3915)', 2, 0x03, pack_levels(ramp)),
    ('SET_LEVELS response', 'SET_LEVELS response: status 0', 2, 0x83, u8(0)),
    ('ALL_OFF', 'ALL_OFF command', 3, 0x04, b''),
    ('ALL_OFF response', 'ALL_OFF response', 3, 0x84, u8(0)),
    ('GET_STATUS', 'GET_STATUS command', 4, 0x05, b''),
    ('GET_STATUS response', 'STATUS: RUNNING, no faults, not blanked, 25.12 C, adc 512, 3 steps, step 1, '
     'nowUs 1234567, 1500 ms, 5000 ms, 70.00 C, channel 5 at 4095', 4, 0x85, status_resp),
    ('SEQ_CLEAR', 'SEQ_CLEAR command', 5, 0x06, b''),
    ('SEQ_CLEAR response', 'SEQ_CLEAR response', 5, 0x86, u8(0)),
    ('SEQ_LOAD', 'SEQ_LOAD index 0 with 2 steps: channel 0 at 4095 (settle 1000, trigger 100, exposure 5000); '
     'channels 1+2 at 2048 (settle 500, trigger 50, exposure 2000)', 6, 0x07,
     u8(0) + step(0x000001, 4095, 1000, 100, 5000) + step(0x000006, 2048, 500, 50, 2000)),
    ('SEQ_LOAD max', 'SEQ_LOAD index 4 with 4 steps: a maximal 61-byte payload', 7, 0x07,
     u8(4) + step(0x800000, 4095, 4000000, 65535, 4000000) + step(0x000000, 0, 0, 1, 1)
     + step(0xFFFFFF, 1, 10, 10, 10) + step(0x010203, 300, 250, 20, 300)),
    ('SEQ_LOAD response', 'SEQ_LOAD response: count 2', 6, 0x87, u8(0) + u8(2)),
    ('SEQ_RUN', 'SEQ_RUN command', 8, 0x08, b''),
    ('SEQ_RUN response', 'SEQ_RUN response: 3 steps, startUs 2000000', 8, 0x88, u8(0) + u8(3) + u32(2000000)),
    ('SEQ_ABORT', 'SEQ_ABORT command', 9, 0x09, b''),
    ('SEQ_ABORT response', 'SEQ_ABORT response', 9, 0x89, u8(0)),
    ('CLEAR_FAULTS', 'CLEAR_FAULTS command', 10, 0x0A, b''),
    ('CLEAR_FAULTS response', 'CLEAR_FAULTS response: OVER_TEMP still present', 10, 0x8A, u8(0) + u16(0x0004)),
    ('SET_CONFIG', 'SET_CONFIG: hostTimeoutMs 1500, maxOnMs 5000, tempLimit 70.00 C', 11, 0x0B,
     u16(1500) + u16(5000) + i16(7000)),
    ('SET_CONFIG response', 'SET_CONFIG response', 11, 0x8B, u8(0)),
    ('SET_SERIAL', 'SET_SERIAL RIG-0001', 12, 0x0C, serial),
    ('SET_SERIAL response', 'SET_SERIAL response', 12, 0x8C, u8(0)),
    ('GEOMETRY_WRITE', 'GEOMETRY_WRITE offset 300, 5 bytes "{\\"a\\":"', 13, 0x0D, u16(300) + b'{"a":'),
    ('GEOMETRY_WRITE response', 'GEOMETRY_WRITE response', 13, 0x8D, u8(0)),
    ('GEOMETRY_READ', 'GEOMETRY_READ offset 300, length 5', 14, 0x0E, u16(300) + u8(5)),
    ('GEOMETRY_READ response', 'GEOMETRY_READ response: the 5 bytes', 14, 0x8E, u8(0) + b'{"a":'),
    ('EVENT_ACK', 'EVENT_ACK for event SEQ 17 (frame SEQ 0)', 0, 0x40, u8(17)),
    ('BOOT', 'BOOT event SEQ 0: bootId 7, external reset, protocol 1', 0, 0xC0, u16(7) + u8(0x02) + u8(1)),
    ('STEP_DONE', 'STEP_DONE event SEQ 1: step 0, trigger at 2001000 us, lateness -3 us, on for 6000 us',
     1, 0xC1, u8(0) + u32(2001000) + i16(-3) + u32(6000)),
    ('SEQ_DONE', 'SEQ_DONE event SEQ 2: 3 steps, not aborted, no faults', 2, 0xC2, u8(3) + u8(0) + u16(0)),
    ('SEQ_DONE aborted', 'SEQ_DONE event SEQ 3: 1 step, aborted by HOST_TIMEOUT', 3, 0xC2, u8(1) + u8(1) + u16(1)),
    ('FAULT', 'FAULT event SEQ 4: OVER_TEMP raised, OVER_TEMP+HOST_TIMEOUT latched, 90.00 C', 4, 0xC3,
     u16(0x0004) + u16(0x0005) + i16(9000)),
    ('TEMPERATURE', 'TEMPERATURE event SEQ 255: 25.00 C, adc 512', 255, 0xC4, i16(2500) + u16(512)),
    ('NAK BAD_CRC', 'NAK: bad CRC on a frame with SEQ 6', 6, 0xFF, u8(1) + u8(6)),
    ('NAK BUSY', 'NAK: BUSY for SEQ_LOAD with SEQ 7', 7, 0xFF, u8(4) + u8(7)),
    ('max payload', 'A 64-byte payload (GEOMETRY_WRITE offset 0, 62 bytes 0..61): the maximal 70-byte frame',
     15, 0x0D, u16(0) + bytes(range(62))),
]

frame_vectors = []
for name, desc, seq, typ, payload in frames:
    assert len(payload) <= MAX_PAYLOAD, name
    frame_vectors.append({'name': name, 'description': desc, 'hex': frame(seq, typ, payload).hex(),
                          'seq': seq, 'type': typ, 'payloadHex': payload.hex()})

ping = frame(1, 0x02, b'')
ident = frame(0, 0x01, b'')
setlv = frame(2, 0x03, pack_levels(ramp))
bad = bytearray(setlv)
bad[10] ^= 0x01
maxf = frame(15, 0x0D, u16(0) + bytes(range(62)))
truncated = setlv[:20]

scenarios = [
    ('two frames in one chunk', 'IDENTIFY and PING back to back in one chunk', [ident + ping]),
    ('one frame split in two chunks', 'SET_LEVELS split after 17 bytes', [setlv[:17], setlv[17:]]),
    ('byte by byte', 'PING delivered one byte per chunk', [bytes([b]) for b in ping]),
    ('bad CRC', 'SET_LEVELS with one payload bit flipped is dropped and counted; the PING after it is found',
     [bytes(bad) + ping]),
    ('garbage before a frame', 'Line noise before a PING', [bytes([0x00, 0xFF, 0x13, 0x37, 0x42]) + ping]),
    ('false SYNC in garbage', 'Garbage containing 0xA5 followed by a length byte; the real frame is found '
     'after the false SYNC fails its CRC', [bytes([0x11, 0xA5, 0x03, 0x22]) + ping]),
    ('false SYNC with LEN > 64', 'A 0xA5 followed by 0xC8 (200 > 64) is skipped at once', [bytes([0xA5, 0xC8]) + ping]),
    ('max-length payload', 'A 70-byte frame with a 64-byte payload, in three chunks', [maxf[:30], maxf[30:60], maxf[60:]]),
    ('truncated frame', 'Only the first 20 bytes of a SET_LEVELS: no frame yet, bytes stay pending', [truncated]),
    ('truncated frame then a frame', 'A truncated SET_LEVELS (20 bytes) then a whole SET_LEVELS: the mixed '
     'bytes fail the CRC and the whole frame is found after resynchronising', [truncated, setlv]),
    ('LEN above 64', 'A header announcing 65 payload bytes is dropped; the IDENTIFY after it is found',
     [bytes([0xA5, 65, 0x00, 0x01]) + bytes(10) + ident]),
]

parser_vectors = []
for name, desc, chunks in scenarios:
    fr, errs, pending = parse(chunks)
    parser_vectors.append({'name': name, 'description': desc, 'chunks': [c.hex() for c in chunks],
                           'frames': fr, 'crcErrors': errs, 'pendingBytes': pending})

out = {
    'protocolVersion': 1,
    'crcCheck': {'asciiHex': b'123456789'.hex(), 'crc': 0x29B1},
    'frames': frame_vectors,
    'parser': parser_vectors,
}
assert crc16(b'123456789') == 0x29B1
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'protocol-vectors.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=2)
    f.write('\n')
