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
  CHECK(l.count == GB_EVENT_RING - 1, "an ack in the middle frees its slot at once");
  gb_link_push_event(&l, 0xC1, ev, 1);
  CHECK(l.count == GB_EVENT_RING && l.events[GB_EVENT_RING - 1].seq == 10, "the freed slot takes the next event");
  for (uint8_t s = 2; s < 11; s++) gb_link_ack_event(&l, s);
  CHECK(l.count == 0, "all acknowledged");

  /* One lost event, then many events acknowledged within its 50 ms retry window (2 ms steps): the lost
   * one keeps one slot and is retransmitted; nothing is dropped and eventsLost stays clear. */
  gb_link_init(&l, send, 0);
  sent.n = 0;
  gb_link_push_event(&l, 0xC1, ev, 4);
  gb_link_poll(&l, 3000);
  for (uint8_t k = 1; k <= 3 * GB_EVENT_RING; k++) {
    gb_link_push_event(&l, 0xC1, ev, 4);
    gb_link_poll(&l, (uint16_t)(3000 + 2 * k));
    gb_link_ack_event(&l, k);
  }
  CHECK(!l.eventsLost, "no event lost while newer ones are acknowledged");
  CHECK(l.count == 1 && l.events[0].seq == 0 && l.events[0].retries == 0, "only the lost event is pending, count %d", l.count);
  CHECK(sent.n == 1 + 3 * GB_EVENT_RING, "each event sent once so far, got %d", sent.n);
  gb_link_poll(&l, 3050);
  CHECK(sent.n == 2 + 3 * GB_EVENT_RING && sent.frames[sent.n - 1][2] == 0, "lost event retransmitted at 50 ms");
  gb_link_ack_event(&l, 0);
  CHECK(l.count == 0 && !l.eventsLost, "retransmission acknowledged, nothing lost");

  /* Two lost events around an acknowledged one: each keeps its own 50 ms schedule after the slot moves,
   * both are dropped after 5 retransmissions in the same poll, then eventsLost. */
  gb_link_init(&l, send, 0);
  sent.n = 0;
  gb_link_push_event(&l, 0xC1, ev, 1);
  gb_link_poll(&l, 100);
  gb_link_push_event(&l, 0xC1, ev, 1);
  gb_link_push_event(&l, 0xC1, ev, 1);
  gb_link_poll(&l, 110);
  gb_link_ack_event(&l, 1);
  CHECK(l.count == 2 && l.events[0].seq == 0 && l.events[1].seq == 2, "acked middle event removed, order kept");
  gb_link_poll(&l, 150);
  CHECK(sent.n == 4 && sent.frames[3][2] == 0, "SEQ 0 retransmitted at its 50 ms, got %d frames", sent.n);
  gb_link_poll(&l, 160);
  CHECK(sent.n == 5 && sent.frames[4][2] == 2, "SEQ 2 retransmitted at its own 50 ms");
  for (uint16_t now = 161; now < 500; now++) gb_link_poll(&l, now);
  CHECK(sent.n == 3 + 2 * GB_EVENT_MAX_RETRIES, "5 retransmissions each, got %d", sent.n);
  CHECK(l.count == 0 && l.eventsLost, "both dropped after their retries, eventsLost");

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
