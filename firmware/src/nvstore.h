/* EEPROM layout (PROTOCOL.md "EEPROM layout"): magic GBR1, boot counter, serial, geometry blob. */
#ifndef GB_NVSTORE_H
#define GB_NVSTORE_H

#include <stdint.h>

#define NV_SERIAL_BYTES 16
#define NV_GEOMETRY_OFFSET 256
#define NV_GEOMETRY_BYTES 768

/** Formats a blank EEPROM, increments the boot counter and returns it (the bootId). */
uint16_t nv_boot(void);
void nv_read_serial(uint8_t *out16);
void nv_write_serial(const uint8_t *in16);
/** Geometry access; offset + n must be ≤ 768 (checked by the caller). */
void nv_read_geometry(uint16_t offset, uint8_t *out, uint8_t n);
void nv_write_geometry(uint16_t offset, const uint8_t *in, uint8_t n);

#endif
