/* Host unit test of src/protocol.c against every vector of protocol-vectors.json (via build/vectors.h). */
#include <stdio.h>
#include <string.h>
#include "../src/protocol.h"
#include "vectors.h"

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("not ok: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct { int n; gb_frame_t f[8]; unsigned char payloads[8][64]; int crcSeqs; } sink_t;

static void on_frame(void *ctx, const gb_frame_t *f) {
  sink_t *s = ctx;
  if (s->n >= 8) return;
  memcpy(s->payloads[s->n], f->payload, f->len);
  s->f[s->n] = *f;
  s->f[s->n].payload = s->payloads[s->n];
  s->n++;
}
static void on_crc(void *ctx, uint8_t seq) { (void)seq; ((sink_t *)ctx)->crcSeqs++; }

int main(void) {
  CHECK(gb_crc16(CRC_CHECK_INPUT, (uint16_t)CRC_CHECK_LEN, 0xFFFF) == CRC_CHECK_VALUE, "CRC check value");
  int nFrames = (int)(sizeof FRAME_VECTORS / sizeof FRAME_VECTORS[0]);
  for (int i = 0; i < nFrames; i++) {
    const frame_vector_t *v = &FRAME_VECTORS[i];
    uint8_t out[GB_MAX_FRAME];
    uint8_t n = gb_frame_encode(out, (uint8_t)v->seq, (uint8_t)v->type, v->payload, (uint8_t)v->payloadLen);
    CHECK(n == v->frameLen && memcmp(out, v->frame, n) == 0, "encode %s", v->name);
    sink_t s = {0};
    gb_parser_t p;
    gb_parser_init(&p, on_frame, on_crc, &s);
    gb_parser_feed(&p, v->frame, (uint16_t)v->frameLen);
    CHECK(s.n == 1 && s.f[0].seq == v->seq && s.f[0].type == v->type && s.f[0].len == v->payloadLen &&
              memcmp(s.payloads[0], v->payload, (size_t)v->payloadLen) == 0,
          "decode %s", v->name);
    if (v->type == GB_CMD_SET_LEVELS) {
      uint16_t lv[24];
      uint8_t back[36];
      gb_unpack_levels(lv, v->payload);
      for (int c = 0; c < 24; c++) CHECK(lv[c] == 170 * c + 5, "unpack level %d of %s", c, v->name);
      gb_pack_levels(back, lv);
      CHECK(memcmp(back, v->payload, 36) == 0, "repack %s", v->name);
    }
  }
  int nParser = (int)(sizeof PARSER_VECTORS / sizeof PARSER_VECTORS[0]);
  for (int i = 0; i < nParser; i++) {
    const parser_vector_t *v = &PARSER_VECTORS[i];
    sink_t s = {0};
    gb_parser_t p;
    gb_parser_init(&p, on_frame, on_crc, &s);
    for (int c = 0; c < v->nChunks; c++) gb_parser_feed(&p, v->chunks[c], (uint16_t)v->chunkLens[c]);
    CHECK(s.n == v->nFrames, "%s: %d frames, expected %d", v->name, s.n, v->nFrames);
    for (int k = 0; k < s.n && k < v->nFrames; k++) {
      const expected_frame_t *e = &v->frames[k];
      CHECK(s.f[k].seq == e->seq && s.f[k].type == e->type && s.f[k].len == e->payloadLen &&
                memcmp(s.payloads[k], e->payload, (size_t)e->payloadLen) == 0,
            "%s: frame %d fields", v->name, k);
    }
    CHECK(p.crcErrors == v->crcErrors && s.crcSeqs == v->crcErrors, "%s: crcErrors %u, expected %d", v->name,
          p.crcErrors, v->crcErrors);
    CHECK(p.n == v->pendingBytes, "%s: pending %u, expected %d", v->name, p.n, v->pendingBytes);
    /* The inter-byte timeout drops whatever partial frame is left. */
    while (p.n) gb_parser_expire(&p);
    CHECK(p.n == 0, "%s: expire empties the parser", v->name);
  }
  int tests = 1 + 2 * nFrames + nParser;
  if (failures) {
    printf("protocol tests: %d failure(s)\n", failures);
    return 1;
  }
  printf("protocol tests: %d frame vectors, %d parser scenarios, %d checks groups passed\n", nFrames, nParser, tests);
  return 0;
}
