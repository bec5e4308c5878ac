/* NTC thermistor on ADC0: 10 kΩ B3950 to GND with a 10 kΩ pull-up to AVCC, AVCC reference. */
#ifndef GB_THERMISTOR_H
#define GB_THERMISTOR_H

#include <stdint.h>

#define THERM_INVALID_CX100 (-32768)

/** Configures the ADC (AVCC reference, ADC0, clk/128). */
void thermistor_start(void);
/** Starts a conversion. */
void thermistor_begin(void);
/** 1 when the conversion is finished; *raw is the 10-bit reading. */
uint8_t thermistor_done(uint16_t *raw);
/** 1 when the reading means an open (ADC > 1013) or shorted (ADC < 10) sensor. */
uint8_t thermistor_faulty(uint16_t raw);
/** Temperature in 0.01 °C from a reading (Beta equation), THERM_INVALID_CX100 for a faulty sensor. */
int16_t thermistor_cx100(uint16_t raw);

#endif
