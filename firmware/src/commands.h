/* Host command execution (PROTOCOL.md "Commands"): one response frame per command, NAKs for failures. */
#ifndef GB_COMMANDS_H
#define GB_COMMANDS_H

#include <stdint.h>
#include "link.h"
#include "protocol.h"

typedef struct {
  uint16_t bootId;
  uint8_t resetCause;
} boot_info_t;

extern boot_info_t g_boot;
extern gb_link_t g_link;

/** Executes (or, for a duplicate SEQ, answers again) one valid frame from the host. */
void commands_handle(const gb_frame_t *f);
/** Answers a frame dropped for a bad CRC with NAK BAD_CRC. */
void commands_nak_crc(uint8_t seq);

#endif
