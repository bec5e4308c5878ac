// Homography resampling into the canonical card image (bilinear), optionally rotating and renormalising
// 3-channel normals: the same arithmetic as warpToCanonical/normalsToCanonical in src/vision/rectify.ts.
#include <math.h>
#include "kernels.h"

void warpRun(const WarpParams* j) {
  const int w = j->srcW, h = j->srcH, c = j->channels, cw = j->dstW;
  const double* H = j->H;
  for (int y = j->y0; y < j->y1; y++) {
    double nx = H[1] * y + H[2], ny = H[4] * y + H[5], nw = H[7] * y + H[8];
    float* out = j->dst + (size_t)y * cw * c;
    for (int x = 0; x < cw; x++, nx += H[0], ny += H[3], nw += H[6]) {
      const double iw = 1.0 / nw;
      const double sx = nx * iw, sy = ny * iw;
      float* o = out + (size_t)x * c;
      if (!(sx >= 0 && sy >= 0 && sx <= w - 1 && sy <= h - 1)) {
        for (int k = 0; k < c; k++) o[k] = 0;
        if (j->rotate) o[2] = 1;
        continue;
      }
      int x0 = (int)sx, y0 = (int)sy;
      if (x0 > w - 2) x0 = w - 2;
      if (y0 > h - 2) y0 = h - 2;
      const float fx = (float)(sx - x0), fy = (float)(sy - y0);
      const float* s = j->src + ((size_t)y0 * w + x0) * c;
      const size_t rs = (size_t)w * c;
      for (int k = 0; k < c; k++) {
        o[k] = (s[k] * (1 - fx) + s[c + k] * fx) * (1 - fy) + (s[rs + k] * (1 - fx) + s[rs + c + k] * fx) * fy;
      }
      if (j->rotate) {
        const float rx = j->cosPhi * o[0] + j->sinPhi * o[1];
        const float ry = -j->sinPhi * o[0] + j->cosPhi * o[1];
        const float len2 = rx * rx + ry * ry + o[2] * o[2];
        if (len2 > 0) { const float inv = 1.0f / sqrtf(len2); o[0] = rx * inv; o[1] = ry * inv; o[2] *= inv; }
        else { o[0] = 0; o[1] = 0; o[2] = 1; }
      }
    }
  }
}
