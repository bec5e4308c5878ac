#!/usr/bin/env python3
"""Turns firmware/protocol-vectors.json (the source of truth) into a C header for the host unit test.
Usage: vectors-to-c.py IN.json OUT.h"""
import json
import sys

d = json.load(open(sys.argv[1]))


def cbytes(h):
    b = bytes.fromhex(h)
    return '{' + ','.join(str(x) for x in b) + '}' if b else '{0}', len(b)


out = ['/* Generated from protocol-vectors.json by tools/vectors-to-c.py; do not edit. */']
out.append('typedef struct { const char *name; unsigned char frame[80]; int frameLen; int seq; int type;'
           ' unsigned char payload[80]; int payloadLen; } frame_vector_t;')
out.append('typedef struct { int seq; int type; unsigned char payload[80]; int payloadLen; } expected_frame_t;')
out.append('typedef struct { const char *name; int nChunks; unsigned char chunks[80][80]; int chunkLens[80];'
           ' int nFrames; expected_frame_t frames[4]; int crcErrors; int pendingBytes; } parser_vector_t;')
cb, n = cbytes(d['crcCheck']['asciiHex'])
out.append(f'static const unsigned char CRC_CHECK_INPUT[] = {cb}; static const int CRC_CHECK_LEN = {n};'
           f' static const unsigned CRC_CHECK_VALUE = {d["crcCheck"]["crc"]};')
out.append('static const frame_vector_t FRAME_VECTORS[] = {')
for v in d['frames']:
    fb, fn = cbytes(v['hex'])
    pb, pn = cbytes(v['payloadHex'])
    out.append(f'  {{{json.dumps(v["name"])}, {fb}, {fn}, {v["seq"]}, {v["type"]}, {pb}, {pn}}},')
out.append('};')
out.append('static const parser_vector_t PARSER_VECTORS[] = {')
for v in d['parser']:
    chunks = [cbytes(c) for c in v['chunks']]
    assert len(chunks) <= 80 and len(v['frames']) <= 4
    fr = ','.join('{%d,%d,%s,%d}' % ((f['seq'], f['type']) + cbytes(f['payloadHex'])) for f in v['frames'])
    out.append(f'  {{{json.dumps(v["name"])}, {len(chunks)}, {{{",".join(c for c, _ in chunks)}}}, '
               f'{{{",".join(str(n) for _, n in chunks)}}}, {len(v["frames"])}, {{{fr or "{0}"}}}, '
               f'{v["crcErrors"]}, {v["pendingBytes"]}}},')
out.append('};')
open(sys.argv[2], 'w').write('\n'.join(out) + '\n')
