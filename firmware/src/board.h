/* Pin map of the rig (PROTOCOL.md "Pins"), ATmega328P on an Arduino Nano. */
#ifndef GB_BOARD_H
#define GB_BOARD_H

#include <avr/io.h>

#define PIN_TRIGGER PB1 /* OC1A, camera trigger, high = expose */
#define PIN_XLAT PB2    /* TLC5947 XLAT (also SPI SS: must be an output for SPI master mode) */
#define PIN_MOSI PB3
#define PIN_SCK PB5
#define PIN_STATUS PD6
#define PIN_BLANK PD7 /* high = driver outputs off */

#define BLANK_HIGH() (PORTD |= _BV(PIN_BLANK))
#define BLANK_LOW() (PORTD &= (uint8_t)~_BV(PIN_BLANK))
#define BLANK_IS_HIGH() ((PORTD & _BV(PIN_BLANK)) != 0)
#define TRIGGER_HIGH() (PORTB |= _BV(PIN_TRIGGER))
#define TRIGGER_LOW() (PORTB &= (uint8_t)~_BV(PIN_TRIGGER))

#define FW_MAJOR 1
#define FW_MINOR 0
#define FW_PATCH 1
#define CHANNELS 24
#define MAX_STEPS 48

#endif
