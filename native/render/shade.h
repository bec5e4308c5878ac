// Plain C shading kernel behind the N-API glue (addon.c); no Node headers here.
#ifndef GRADEBOOTH_RENDER_SHADE_H
#define GRADEBOOTH_RENDER_SHADE_H
#include <stddef.h>
#include <stdint.h>

#define SHADE_MAX_LEDS 64

/** A planar object's maps (src/sim/scenes/surface-maps.ts) and its placement on the tray. */
typedef struct {
  int widthPx, heightPx;
  double pitchMm, cosR, sinR, xMm, yMm;
  const float *height, *albedo, *roughness, *specularF0, *slopeU, *slopeV;
  const uint8_t* cover;
  const uint16_t* label;
} ShadeMaps;

/** One band of a basis render; the fields mirror ShadingJob in src/sim/render/shading-kernel.ts. */
typedef struct {
  int width, rowStart, rowEnd, band, bands, blockRows;
  double fx, fy, cx, cy, k1, k2, rot[9], pos[3];
  int vignette, near, ledCount, hasSurface, hasSphere;
  double responsivity;
  /** Tray material: albedo, GGX alpha, F0. */
  double tray[3];
  /** Sphere: centre xyz, radius (mm), albedo, alpha, F0. */
  double sphere[7];
  ShadeMaps maps;
  /** 8 values per LED (see ShadingLights.params); ledIndex[l] selects the LED of basis[l]. */
  const double* lights;
  int ledIndex[SHADE_MAX_LEDS];
  float* basis[SHADE_MAX_LEDS];
  /** Ground truth (all NULL when not wanted). */
  float *truthNormal, *truthHeight, *truthAlbedo;
  uint8_t* truthCover;
  uint16_t* truthLabel;
} ShadeParams;

/** Render the band's rows: basis images (electrons per µs at full level) and, if asked, the truth. */
void shadeRun(const ShadeParams* j);

#endif
