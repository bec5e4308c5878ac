#include "nvstore.h"
#include <avr/eeprom.h>

#define NV_MAGIC_ADDR ((uint8_t *)0)
#define NV_BOOT_ADDR ((uint16_t *)4)
#define NV_SERIAL_ADDR ((uint8_t *)8)

static const uint8_t MAGIC[4] = {'G', 'B', 'R', '1'};

uint16_t nv_boot(void) {
  uint8_t m[4];
  eeprom_read_block(m, NV_MAGIC_ADDR, 4);
  if (m[0] != MAGIC[0] || m[1] != MAGIC[1] || m[2] != MAGIC[2] || m[3] != MAGIC[3]) {
    uint8_t serial[NV_SERIAL_BYTES] = {'U', 'N', 'S', 'E', 'T'};
    eeprom_update_block(serial, NV_SERIAL_ADDR, NV_SERIAL_BYTES);
    eeprom_update_word(NV_BOOT_ADDR, 0);
    eeprom_update_block(MAGIC, NV_MAGIC_ADDR, 4);
  }
  uint16_t boot = (uint16_t)(eeprom_read_word(NV_BOOT_ADDR) + 1);
  eeprom_update_word(NV_BOOT_ADDR, boot);
  return boot;
}

void nv_read_serial(uint8_t *out16) { eeprom_read_block(out16, NV_SERIAL_ADDR, NV_SERIAL_BYTES); }

void nv_write_serial(const uint8_t *in16) { eeprom_update_block(in16, NV_SERIAL_ADDR, NV_SERIAL_BYTES); }

void nv_read_geometry(uint16_t offset, uint8_t *out, uint8_t n) {
  eeprom_read_block(out, (const void *)(NV_GEOMETRY_OFFSET + offset), n);
}

void nv_write_geometry(uint16_t offset, const uint8_t *in, uint8_t n) {
  eeprom_update_block(in, (void *)(NV_GEOMETRY_OFFSET + offset), n);
}
