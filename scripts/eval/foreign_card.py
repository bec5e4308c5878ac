#!/usr/bin/python3
"""A second card renderer, written apart from the project's simulator (src/sim/), for measuring how the
grader does on cards it was not made with: issue 11's check renders its cards with a renderer that is not
this project's. Nothing here is shared with src/sim/: its own artwork (sharp-edged panels, stripes,
text-like rows, no blobs), its own holo foil (a light-dependent grating with a sharp specular lobe), its own
defect shapes (V-groove scratches, Gaussian dents, folded creases with cracked ink) and its own camera
(orthographic, distant lights, Lambertian + Blinn-Phong gloss, shot and read noise, 16-bit PNG).

  /usr/bin/python3 scripts/eval/foreign_card.py --out DIR --seed N [--kind defects|clean|foil|foil-defects]
      [--worn-corner tl|tr|bl|br] [--um-per-px 60] [--lights 16]

writes DIR in the common photometric format (filenames.txt, light_directions.txt, light_intensities.txt,
mask.png, 001.png…) and DIR/truth.json (never read by `gradebooth grade`): the centering ratios, the
borders, the defects with their centres in the card frame (origin at the card centre, x right, y up, mm),
the worn corner. Needs only numpy (Debian's python3-numpy).
"""
import argparse
import json
import math
import os
import struct
import zlib

import numpy as np

CARD_W_MM, CARD_H_MM, CORNER_R_MM = 63.5, 88.9, 3.0


def write_png(path, img, bits):
    """Grey PNG, 8 or 16 bits, written with zlib (no imaging library)."""
    h, w = img.shape
    if bits == 16:
        raw = img.astype('>u2').tobytes()
        row = w * 2
    else:
        raw = img.astype(np.uint8).tobytes()
        row = w
    data = b''.join(b'\x00' + raw[y * row:(y + 1) * row] for y in range(h))

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, bits, 0, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(data, 6)))
        f.write(chunk(b'IEND', b''))


def rounded_rect_sd(u, v, hw, hh, r):
    """Signed distance to a rounded rectangle centred at 0 (negative inside), mm."""
    qx, qy = np.abs(u) - (hw - r), np.abs(v) - (hh - r)
    out = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return out + np.minimum(np.maximum(qx, qy), 0) - r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--kind', default='defects', choices=['defects', 'clean', 'foil', 'foil-defects'])
    ap.add_argument('--worn-corner', choices=['tl', 'tr', 'bl', 'br'])
    ap.add_argument('--um-per-px', type=float, default=60.0)
    ap.add_argument('--lights', type=int, default=16)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    s = a.um_per_px / 1000.0  # mm per px
    margin_mm = 4.0
    W = int(round((CARD_W_MM + 2 * margin_mm) / s))
    H = int(round((CARD_H_MM + 2 * margin_mm) / s))
    # Placement: a small shift and turn in the tray.
    ang = math.radians(rng.uniform(-1.5, 1.5))
    off = rng.uniform(-1.0, 1.0, 2)
    ca, sa = math.cos(ang), math.sin(ang)
    hw, hh = CARD_W_MM / 2, CARD_H_MM / 2

    def card_coords(dx, dy):
        """Card-frame coordinates (x right, y up, mm) of every pixel's point (dx, dy) px from its corner."""
        ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
        X = (xs + dx) * s - W * s / 2 - off[0]
        Y = H * s / 2 - (ys + dy) * s - off[1]
        return ca * X + sa * Y, -sa * X + ca * Y

    # The random draws first, then the fields evaluated at any points: the albedo and the outline are
    # averaged over 3×3 points per pixel (a camera integrates over its pixel: edges land between pixels).
    worn = a.worn_corner
    worn_r = 3.0 + rng.uniform(1.5, 2.5) if worn else CORNER_R_MM
    corner_signs = {'tl': (-1, 1), 'tr': (1, 1), 'bl': (-1, -1), 'br': (1, -1)}
    # Borders (centering truth): each random 2.2–4.2 mm, so ratios from about 35/65 to 65/35.
    b = {k: rng.uniform(2.2, 4.2) for k in ('left', 'right', 'top', 'bottom')}
    border_alb = rng.uniform(0.72, 0.85)
    base_tone = rng.uniform(0.3, 0.6)
    panels = [(rng.uniform(-hw, hw), rng.uniform(-hh, hh), rng.uniform(5, 30), rng.uniform(5, 30), rng.uniform(0.1, 0.8)) for _ in range(rng.integers(3, 7))]
    stripe_k, stripe_th = rng.uniform(0.3, 1.2), rng.uniform(0, math.pi)
    text_rows = [(rng.uniform(-hh + 8, hh - 8), rng.uniform(2, 4), rng.uniform(0, 6)) for _ in range(rng.integers(2, 5))]
    bow = rng.uniform(-25, 25)
    kinds = a.kind
    scratches, dents, creases = [], [], []
    if kinds in ('defects', 'foil-defects'):
        n_s, n_d, n_c = rng.integers(1, 4), rng.integers(0, 3), int(rng.random() < 0.4)
        for _ in range(n_s):
            scratches.append((rng.uniform(6, 30), rng.uniform(0.12, 0.3), rng.uniform(6, 25), rng.uniform(-hw + 8, hw - 8), rng.uniform(-hh + 8, hh - 8), rng.uniform(0, math.pi)))
        for _ in range(n_d):
            dents.append((rng.uniform(1.2, 3.0), rng.uniform(15, 80), rng.uniform(-hw + 8, hw - 8), rng.uniform(-hh + 8, hh - 8)))
        for _ in range(n_c):
            creases.append((rng.uniform(30, 70), rng.uniform(0.8, 2.0), rng.uniform(25, 80), rng.uniform(-hw / 3, hw / 3), rng.uniform(-hh / 3, hh / 3), rng.uniform(0, math.pi)))
    foil_truth = None
    if kinds in ('foil', 'foil-defects'):
        fw, fh = rng.uniform(20, 45), rng.uniform(25, 60)
        fx, fy = rng.uniform(-hw + b['left'] + fw / 2, hw - b['right'] - fw / 2), rng.uniform(-hh + b['bottom'] + fh / 2, hh - b['top'] - fh / 2)
        foil_truth = {'centerMm': [fx, fy], 'sizeMm': [fw, fh]}

    def line_coords(u, v, cx, cy, t):
        return (u - cx) * math.cos(t) + (v - cy) * math.sin(t), -(u - cx) * math.sin(t) + (v - cy) * math.cos(t)

    def outline_sd(u, v):
        radius = np.full(u.shape, CORNER_R_MM)
        if worn:
            sx, sy = corner_signs[worn]
            radius = np.where((np.sign(u) == sx) & (np.sign(v) == sy), worn_r, radius)
        return rounded_rect_sd(u, v, hw, hh, radius)

    def albedo_at(u, v):
        card = outline_sd(u, v) <= 0
        inner = (u > -hw + b['left']) & (u < hw - b['right']) & (v > -hh + b['bottom']) & (v < hh - b['top'])
        alb = np.where(card, border_alb, 0.04)
        # Artwork: a base tone, sharp-edged panels, stripes, rows of "text" (short dark dashes).
        art = np.full(u.shape, base_tone)
        for x0, y0, pw, ph, tone in panels:
            art = np.where((np.abs(u - x0) < pw / 2) & (np.abs(v - y0) < ph / 2), tone, art)
        art = art * (1 + 0.12 * np.sign(np.sin(stripe_k * (u * math.cos(stripe_th) + v * math.sin(stripe_th)))))
        for y0, f, ph in text_rows:
            art = np.where((np.abs(v - y0) < 0.6) & (np.sin(u * f + ph) > 0.3), 0.08, art)
        art = np.clip(art, 0.05, 0.9)
        # A thin dark keyline on the frame (the inner edge the centering finds).
        key = inner & ~((u > -hw + b['left'] + 0.25) & (u < hw - b['right'] - 0.25) & (v > -hh + b['bottom'] + 0.25) & (v < hh - b['top'] - 0.25))
        alb = np.where(inner, art, alb)
        alb = np.where(key, 0.12, alb)
        for L_, wd, dep, cx, cy, t in scratches:
            al, ac = line_coords(u, v, cx, cy, t)
            alb = np.where((np.abs(ac) < 0.35 * wd) & (np.abs(al) <= L_ / 2), np.minimum(alb + 0.03, 0.95), alb)
        for L_, wd, dep, cx, cy, t in creases:
            al, ac = line_coords(u, v, cx, cy, t)
            along = np.clip(1 - (np.abs(al) / (L_ / 2)) ** 4, 0, 1)
            alb = np.where((np.abs(ac) < 0.08) & (along > 0.2) & inner, np.minimum(alb + 0.12, 0.95), alb)
        return alb, card

    def foil_at(u, v):
        if foil_truth is None:
            return np.zeros(u.shape, bool)
        (fx, fy), (fw, fh) = foil_truth['centerMm'], foil_truth['sizeMm']
        return (np.abs(u - fx) < fw / 2) & (np.abs(v - fy) < fh / 2)

    sub = [(i + 0.5) / 3 for i in range(3)]
    alb = np.zeros((H, W)); cover = np.zeros((H, W)); foil = np.zeros((H, W))
    for dy in sub:
        for dx in sub:
            uu, vv = card_coords(dx, dy)
            a_, c_ = albedo_at(uu, vv)
            alb += a_ / 9; cover += c_ / 9; foil += foil_at(uu, vv) / 9
    mask = cover >= 0.5  # the silhouette

    # Relief at the pixel centres, µm: a gentle bow, then the defects.
    u, v = card_coords(0.5, 0.5)
    hgt = bow * ((u / hw) ** 2 + (v / hh) ** 2) / 2
    defects = []
    for L_, wd, dep, cx, cy, t in scratches:
        al, ac = line_coords(u, v, cx, cy, t)
        hgt -= dep * np.clip(1 - np.abs(ac) / (wd / 2), 0, 1) * (np.abs(al) <= L_ / 2)
        defects.append({'type': 'scratch', 'centerMm': [cx, cy], 'lengthMm': L_, 'widthMm': wd, 'depthUm': dep, 'angleDeg': math.degrees(t)})
    for rad, dep, cx, cy in dents:
        hgt -= dep * np.exp(-((u - cx) ** 2 + (v - cy) ** 2) / (2 * (rad / 2) ** 2))
        defects.append({'type': 'dent', 'centerMm': [cx, cy], 'lengthMm': 2 * rad, 'widthMm': 2 * rad, 'depthUm': dep})
    for L_, wd, dep, cx, cy, t in creases:
        al, ac = line_coords(u, v, cx, cy, t)
        # A fold: a valley with raised shoulders (its ink cracked white along the line: albedo_at).
        along = np.clip(1 - (np.abs(al) / (L_ / 2)) ** 4, 0, 1)
        hgt -= dep * along * (np.exp(-(ac / (wd / 2)) ** 2) - 0.25 * np.exp(-(ac / wd) ** 2))
        defects.append({'type': 'crease', 'centerMm': [cx, cy], 'lengthMm': L_, 'widthMm': wd, 'depthUm': dep, 'angleDeg': math.degrees(t)})

    # Normals from the relief (µm over mm: slope = dh/1000 per mm).
    gy, gx = np.gradient(hgt / 1000.0, s)  # along rows (image down) and columns
    dhdu, dhdv = gx, -gy  # the camera's axes, x right and y up (the lights are in them too)
    nrm = np.stack([-dhdu, -dhdv, np.ones_like(hgt)], -1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)

    # Lights: rings at 25–65° elevation, azimuths spread, jittered.
    L = []
    for i in range(a.lights):
        el = math.radians([30, 45, 60][i % 3] + rng.uniform(-5, 5))
        az = 2 * math.pi * i / a.lights + rng.uniform(-0.1, 0.1)
        L.append([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    L = np.array(L)
    E = rng.uniform(0.9, 1.1, a.lights)  # per-light intensity, written to light_intensities.txt
    gloss_ks, gloss_p = rng.uniform(0.02, 0.08), rng.uniform(30, 90)
    full_well, read_e = 20000.0, 6.0
    expo = rng.uniform(0.7, 1.0)
    os.makedirs(a.out, exist_ok=True)
    names = []
    pitch = rng.uniform(0.15, 0.4)  # grating period, mm
    gth = rng.uniform(0, math.pi)
    for i in range(a.lights):
        l = L[i]
        ndl = np.clip(nrm @ l, 0, None)
        hv = l + np.array([0, 0, 1.0])
        hv /= np.linalg.norm(hv)
        ndh = np.clip(nrm @ hv, 0, None)
        spec = gloss_ks * ndh ** gloss_p
        rad = alb * ndl + spec
        if foil_truth is not None:
            # The grating: its bright phase moves with the light's azimuth; a mirror-like lobe on top.
            phase = (u * math.cos(gth) + v * math.sin(gth)) / pitch * 2 * math.pi + 4 * math.atan2(l[1], l[0])
            grating = 0.35 + 0.65 * (0.5 + 0.5 * np.cos(phase)) ** 3
            foil_rad = 0.25 * alb * ndl * grating + 0.6 * ndh ** 200 + 0.25 * grating * ndl
            rad = (1 - foil) * rad + foil * foil_rad
        rad *= E[i] * expo
        electrons = np.clip(rad, 0, None) * full_well * 0.8
        electrons = rng.poisson(electrons).astype(np.float64) + rng.normal(0, read_e, electrons.shape)
        img = np.clip(np.round(electrons / full_well * 65535), 0, 65535).astype(np.uint16)
        name = f'{i + 1:03d}.png'
        write_png(os.path.join(a.out, name), img, 16)
        names.append(name)
    with open(os.path.join(a.out, 'filenames.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    with open(os.path.join(a.out, 'light_directions.txt'), 'w') as f:
        f.write(''.join(f'{x:.6f} {y:.6f} {z:.6f}\n' for x, y, z in L))
    with open(os.path.join(a.out, 'light_intensities.txt'), 'w') as f:
        f.write(''.join(f'{e:.6f}\n' for e in E))
    write_png(os.path.join(a.out, 'mask.png'), np.where(mask, 255, 0).astype(np.uint8), 8)
    lr = [b['left'], b['right']]
    tb = [b['top'], b['bottom']]
    share = lambda p: [round(100 * max(p) / sum(p), 2), round(100 * min(p) / sum(p), 2)]
    truth = {
        'renderer': 'scripts/eval/foreign_card.py', 'seed': a.seed, 'kind': kinds, 'umPerPx': a.um_per_px,
        'bordersMm': b, 'centering': {'leftRight': share(lr), 'topBottom': share(tb)},
        'defects': defects, 'foil': foil_truth, 'wornCorner': worn, 'placement': {'angleDeg': math.degrees(ang), 'offsetMm': list(off)},
    }
    with open(os.path.join(a.out, 'truth.json'), 'w') as f:
        json.dump(truth, f, indent=1)


if __name__ == '__main__':
    main()
