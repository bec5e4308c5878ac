/* Host unit test of src/link.c: duplicate-command cache, event retransmission, acknowledgement, loss. */
#include <stdio.h>
#include <string.h>
#include "../src/link.h"

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("not ok: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct { int n; uint8_t frames[64][GB_MAX_FRAME]; uint8_t lens[64]; } sent_t;
static sent_t sent;

static void send(void *ctx, const uint8_t *f, uint8_t len) {
  (void)ctx;
  if (sent.n < 64) {
    memcpy(sent.frames[sent.n], f, len);
    sent.lens[sent.n] = len;
  }
  sent.n++;
}

int main(void) {
  gb_link_t l;
  gb_link_init(&l, send, 0);

  /* Duplicates: nothing cached after init; the response of SEQ 5 is re-sent byte for byte. */
  CHECK(!gb_link_resend_if_duplicate(&l, 0), "no duplicate after init");
  uint8_t p[3] = {0, 1, 2};
  gb_link_respond(&l, 5, 0x82, p, 3);
  CHECK(sent.n == 1 && sent.lens[0] == 9, "response sent");
  CHECK(gb_link_resend_if_duplicate(&l, 5), "SEQ 5 is a duplicate");
  CHECK(sent.n == 2 && memcmp(sent.frames[0], sent.frames[1], 9) == 0, "same bytes re-sent");
  CHECK(!gb_link_resend_if_duplicate(&l, 6), "SEQ 6 is new");

  /* Events: sent on the first poll, retransmitted every 50 ms, freed by the ack. */
  sent.n = 0;
  uint8_t ev[4] = {1, 2, 3, 4};
  gb_link_push_event(&l, 0xC4, ev, 4);
  gb_link_poll(&l, 1000);
  CHECK(sent.n == 1 && sent.frames[0][2] == 0 && sent.frames[0][3] == 0xC4, "event sent with SEQ 0");
  gb_link_poll(&l, 1049);
  CHECK(sent.n == 1, "no retransmission before 50 ms");
  gb_link_poll(&l, 1050);
  CHECK(sent.n == 2 && memcmp(sent.frames[0], sent.frames[1], sent.lens[0]) == 0, "retransmitted at 50 ms");
  gb_link_ack_event(&l, 0);
  CHECK(l.count == 0, "ack frees the slot");
  gb_link_poll(&l, 1200);
  CHECK(sent.n == 2, "nothing after the ack");

  /* Five retransmissions, then dropped with eventsLost. */
  sent.n = 0;
  gb_link_push_event(&l, 0xC1, ev, 4);
  uint16_t t = 2000;
  for (int i = 0; i < 10; i++, t = (uint16_t)(t + 50)) gb_link_poll(&l, t);
  CHECK(sent.n == 6, "1 transmission + 5 retransmissions, got %d", sent.n);
  CHECK(l.count == 0 && l.eventsLost, "dropped after retries, eventsLost set");

  /* Ring overflow drops the oldest; SEQs keep counting; out-of-order acks. */
  gb_link_init(&l, send, 0);
  sent.n = 0;
  for (int i = 0; i < GB_EVENT_RING + 2; i++) gb_link_push_event(&l, 0xC1, ev, 1);
  CHECK(l.count == GB_EVENT_RING && l.eventsLost, "ring keeps %d, eventsLost", GB_EVENT_RING);
  gb_link_poll(&l, 0);
  CHECK(sent.n == GB_EVENT_RING && sent.frames[0][2] == 2, "oldest two dropped: first sent SEQ is 2");
  gb_link_ack_event(&l, 5);
  CHECK(l.count == GB_EVENT_RING, "hole in the middle keeps the ring span");
  for (uint8_t s = 2; s < 10; s++) gb_link_ack_event(&l, s);
  CHECK(l.count == 0, "all acknowledged");

  /* SEQ wraps from 255 to 0. */
  gb_link_init(&l, send, 0);
  l.nextEventSeq = 255;
  gb_link_push_event(&l, 0xC4, ev, 1);
  gb_link_push_event(&l, 0xC4, ev, 1);
  CHECK(l.events[0].seq == 255 && l.events[1].seq == 0, "event SEQ wraps");

  if (failures) {
    printf("link tests: %d failure(s)\n", failures);
    return 1;
  }
  printf("link tests passed\n");
  return 0;
}
