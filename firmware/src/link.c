/* Duplicate-command cache and acknowledged event ring (see link.h and PROTOCOL.md). */
#include "link.h"

void gb_link_init(gb_link_t *l, gb_send_fn send, void *ctx) {
  l->haveLast = 0;
  l->lastSeq = 0;
  l->lastLen = 0;
  l->count = 0;
  l->nextEventSeq = 0;
  l->eventsLost = 0;
  l->send = send;
  l->ctx = ctx;
}

uint8_t gb_link_resend_if_duplicate(gb_link_t *l, uint8_t seq) {
  if (!l->haveLast || l->lastSeq != seq) return 0;
  l->send(l->ctx, l->lastFrame, l->lastLen);
  return 1;
}

void gb_link_respond(gb_link_t *l, uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len) {
  l->lastLen = gb_frame_encode(l->lastFrame, seq, type, payload, len);
  l->lastSeq = seq;
  l->haveLast = 1;
  l->send(l->ctx, l->lastFrame, l->lastLen);
}

/* Frees slot i: the younger events move down one place, keeping events[] oldest first with no holes. */
static void remove_at(gb_link_t *l, uint8_t i) {
  l->count--;
  for (; i < l->count; i++) l->events[i] = l->events[i + 1];
}

void gb_link_push_event(gb_link_t *l, uint8_t type, const uint8_t *payload, uint8_t len) {
  if (len > GB_EVENT_MAX_PAYLOAD) len = GB_EVENT_MAX_PAYLOAD;
  if (l->count == GB_EVENT_RING) {
    remove_at(l, 0); /* every slot holds an unacknowledged event: the oldest one is lost */
    l->eventsLost = 1;
  }
  gb_event_slot_t *s = &l->events[l->count];
  s->sent = 0;
  s->seq = l->nextEventSeq++;
  s->type = type;
  s->len = len;
  s->retries = 0;
  for (uint8_t i = 0; i < len; i++) s->payload[i] = payload[i];
  l->count++;
}

void gb_link_ack_event(gb_link_t *l, uint8_t seq) {
  for (uint8_t i = 0; i < l->count; i++) {
    if (l->events[i].seq == seq) {
      remove_at(l, i);
      return; /* SEQs in the ring are distinct (8 live ones out of 256) */
    }
  }
}

static void transmit(gb_link_t *l, gb_event_slot_t *s, uint16_t nowMs) {
  uint8_t frame[GB_EVENT_MAX_PAYLOAD + GB_FRAME_OVERHEAD];
  uint8_t n = gb_frame_encode(frame, s->seq, s->type, s->payload, s->len);
  l->send(l->ctx, frame, n);
  s->sentMs = nowMs;
}

void gb_link_poll(gb_link_t *l, uint16_t nowMs) {
  uint8_t i = 0;
  while (i < l->count) {
    gb_event_slot_t *s = &l->events[i];
    if (!s->sent) {
      s->sent = 1;
      transmit(l, s, nowMs);
    } else if ((uint16_t)(nowMs - s->sentMs) >= GB_EVENT_RETRY_MS) {
      if (s->retries >= GB_EVENT_MAX_RETRIES) {
        remove_at(l, i);
        l->eventsLost = 1;
        continue; /* slot i now holds the next younger event */
      }
      s->retries++;
      transmit(l, s, nowMs);
    }
    i++;
  }
}
