/* Duplicate-command cache and acknowledged event ring (see link.h and PROTOCOL.md). */
#include "link.h"

void gb_link_init(gb_link_t *l, gb_send_fn send, void *ctx) {
  l->haveLast = 0;
  l->lastSeq = 0;
  l->lastLen = 0;
  for (uint8_t i = 0; i < GB_EVENT_RING; i++) l->events[i].used = 0;
  l->head = 0;
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

static void pop_head(gb_link_t *l) {
  l->events[l->head].used = 0;
  l->head = (uint8_t)((l->head + 1) % GB_EVENT_RING);
  l->count--;
}

void gb_link_push_event(gb_link_t *l, uint8_t type, const uint8_t *payload, uint8_t len) {
  if (len > GB_EVENT_MAX_PAYLOAD) len = GB_EVENT_MAX_PAYLOAD;
  if (l->count == GB_EVENT_RING) {
    pop_head(l);
    l->eventsLost = 1;
  }
  gb_event_slot_t *s = &l->events[(l->head + l->count) % GB_EVENT_RING];
  s->used = 1;
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
    gb_event_slot_t *s = &l->events[(l->head + i) % GB_EVENT_RING];
    if (s->used && s->seq == seq) s->used = 0;
  }
  /* Acknowledged slots at the head are freed; holes further in wait until they reach the head. */
  while (l->count && !l->events[l->head].used) {
    l->head = (uint8_t)((l->head + 1) % GB_EVENT_RING);
    l->count--;
  }
}

static void transmit(gb_link_t *l, gb_event_slot_t *s, uint16_t nowMs) {
  uint8_t frame[GB_EVENT_MAX_PAYLOAD + GB_FRAME_OVERHEAD];
  uint8_t n = gb_frame_encode(frame, s->seq, s->type, s->payload, s->len);
  l->send(l->ctx, frame, n);
  s->sentMs = nowMs;
}

void gb_link_poll(gb_link_t *l, uint16_t nowMs) {
  for (uint8_t i = 0; i < l->count; i++) {
    gb_event_slot_t *s = &l->events[(l->head + i) % GB_EVENT_RING];
    if (!s->used) continue;
    if (!s->sent) {
      s->sent = 1;
      transmit(l, s, nowMs);
    } else if ((uint16_t)(nowMs - s->sentMs) >= GB_EVENT_RETRY_MS) {
      if (s->retries >= GB_EVENT_MAX_RETRIES) {
        s->used = 0;
        l->eventsLost = 1;
      } else {
        s->retries++;
        transmit(l, s, nowMs);
      }
    }
  }
  while (l->count && !l->events[l->head].used) {
    l->head = (uint8_t)((l->head + 1) % GB_EVENT_RING);
    l->count--;
  }
}
