/*
 * Link layer of the rig protocol (PROTOCOL.md "Sequence numbers, acknowledgement, retransmission"):
 * the duplicate-command cache and the ring of unacknowledged events with timed retransmission.
 * Pure C (no AVR headers): time is passed in, output goes through a callback, so it is host-testable.
 */
#ifndef GB_LINK_H
#define GB_LINK_H

#include <stdint.h>
#include "protocol.h"

#define GB_EVENT_RING 8
#define GB_EVENT_MAX_PAYLOAD 14
#define GB_EVENT_RETRY_MS 50
#define GB_EVENT_MAX_RETRIES 5

/** Sends one encoded frame (len bytes) to the host. */
typedef void (*gb_send_fn)(void *ctx, const uint8_t *frame, uint8_t len);

typedef struct {
  uint8_t sent;      /* 0 = not sent yet */
  uint8_t seq;
  uint8_t type;
  uint8_t len;
  uint8_t retries;   /* retransmissions done */
  uint16_t sentMs;   /* low 16 bits of the ms clock at the last transmission */
  uint8_t payload[GB_EVENT_MAX_PAYLOAD];
} gb_event_slot_t;

typedef struct {
  /* Duplicate cache: the SEQ and encoded response of the last executed command. */
  uint8_t haveLast;
  uint8_t lastSeq;
  uint8_t lastLen;
  uint8_t lastFrame[GB_MAX_FRAME];
  /* Unacknowledged events, oldest first, in events[0 .. count-1]. Freeing one (ack, retries exhausted)
   * moves the younger ones down, so a lost event never keeps acknowledged slots behind it busy. */
  gb_event_slot_t events[GB_EVENT_RING];
  uint8_t count;
  uint8_t nextEventSeq;
  uint8_t eventsLost; /* set when an event was dropped (retries exhausted, or pushed with 8 unacknowledged) */
  gb_send_fn send;
  void *ctx;
} gb_link_t;

/** Resets the link (forgets the duplicate cache and all events). */
void gb_link_init(gb_link_t *l, gb_send_fn send, void *ctx);

/** Returns 1 when a command with this SEQ was the last one executed: its response is re-sent. */
uint8_t gb_link_resend_if_duplicate(gb_link_t *l, uint8_t seq);

/** Encodes, sends and remembers the response to the command with this SEQ. */
void gb_link_respond(gb_link_t *l, uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len);

/** Queues an event (sent by the next gb_link_poll); drops the oldest one if 8 are unacknowledged. */
void gb_link_push_event(gb_link_t *l, uint8_t type, const uint8_t *payload, uint8_t len);

/** The host acknowledged the event with this SEQ: its slot is free at once, wherever it is in the ring. */
void gb_link_ack_event(gb_link_t *l, uint8_t seq);

/** Sends new events and retransmits unacknowledged ones older than 50 ms; nowMs is the ms clock. */
void gb_link_poll(gb_link_t *l, uint16_t nowMs);

#endif
