#include "thermistor.h"
#include <avr/io.h>
#include <math.h>

void thermistor_start(void) {
  ADMUX = _BV(REFS0); /* AVCC reference, channel ADC0 */
  ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
  DIDR0 = _BV(ADC0D);
}

void thermistor_begin(void) { ADCSRA |= _BV(ADSC); }

uint8_t thermistor_done(uint16_t *raw) {
  if (ADCSRA & _BV(ADSC)) return 0;
  *raw = ADC;
  return 1;
}

uint8_t thermistor_faulty(uint16_t raw) { return raw < 10 || raw > 1013; }

int16_t thermistor_cx100(uint16_t raw) {
  if (thermistor_faulty(raw)) return THERM_INVALID_CX100;
  /* Divider: raw / 1024 = R / (R + 10k)  =>  R = 10k × raw / (1024 − raw). */
  float r = 10000.0f * (float)raw / (float)(1024 - raw);
  float invT = 1.0f / 298.15f + logf(r / 10000.0f) / 3950.0f;
  float c = 1.0f / invT - 273.15f;
  if (c > 300.0f) c = 300.0f;
  if (c < -300.0f) c = -300.0f;
  return (int16_t)lroundf(c * 100.0f);
}
