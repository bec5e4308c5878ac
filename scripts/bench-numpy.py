#!/usr/bin/env python3
"""Reference timings for the vision benchmarks: numpy's photometric-stereo solve and FFT integration.

Prints one JSON object per line: {"name", "width", "height", "lights", "ms"} (median of runs), the same
shape as `npm run bench -- --json`. bench/vision.bench.ts runs this script in the same run.
Usage: bench-numpy.py [--width W] [--height H] [--lights N] [--runs R]
"""
import argparse
import json
import time

import numpy as np


CPU_MS = {}


def median_ms(fn, runs):
    """Median wall ms of runs after a warm-up; the mean process CPU ms per run (all threads) goes to CPU_MS[fn]."""
    fn()  # warm-up
    times = []
    c0 = time.process_time()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    CPU_MS[fn] = round((time.process_time() - c0) * 1000 / runs)
    times.sort()
    return times[len(times) // 2]


def emit(name, w, h, n, ms, **extra):
    print(json.dumps({"name": name, "width": w, "height": h, "lights": n, "ms": round(ms, 2), **extra}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=3000)
    ap.add_argument("--height", type=int, default=4200)
    ap.add_argument("--lights", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    w, h, n = a.width, a.height, a.lights
    rng = np.random.default_rng(1)
    # Lights on two rings, as in the TypeScript benchmark.
    el = np.radians(np.where(np.arange(n) < n // 2, 25.0, 55.0))
    az = 2 * np.pi * np.arange(n) / max(1, n // 2) + np.where(np.arange(n) < n // 2, 0, np.pi / max(1, n // 2))
    L = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1).astype(np.float32)
    I16 = rng.integers(0, 65535, size=(n, h * w), dtype=np.uint16)
    I = I16.astype(np.float32)
    P = np.linalg.pinv(L).astype(np.float32)
    ps_f32 = lambda: P @ I  # noqa: E731
    emit("numpy-ps", w, h, n, median_ms(ps_f32, a.runs), cpuMs=CPU_MS[ps_f32], note="pinv(L) @ I, float32 input already converted")
    ps_u16 = lambda: P @ I16.astype(np.float32)  # noqa: E731
    emit("numpy-ps-from-u16", w, h, n, median_ms(ps_u16, a.runs), cpuMs=CPU_MS[ps_u16], note="including uint16→float32")
    del I, I16

    # Frankot–Chellappa integration with numpy's FFT (the usual FFT integrator, float64).
    yy, xx = np.mgrid[0:h, 0:w]
    p = np.cos(xx / 200.0).astype(np.float32) * 0.1
    q = np.sin(yy / 300.0).astype(np.float32) * 0.1

    def fc():
        wx = np.fft.fftfreq(w) * 2 * np.pi
        wy = np.fft.fftfreq(h) * 2 * np.pi
        u, v = np.meshgrid(wx, wy)
        denom = u ** 2 + v ** 2
        denom[0, 0] = 1
        Z = (-1j * u * np.fft.fft2(p) - 1j * v * np.fft.fft2(q)) / denom
        Z[0, 0] = 0
        return np.real(np.fft.ifft2(Z))

    emit("numpy-fft-integrate", w, h, 0, median_ms(fc, a.runs), cpuMs=CPU_MS[fc], note="Frankot-Chellappa, numpy.fft")
    try:
        import scipy.fft as sf

        def dct_poisson():
            # Neumann Poisson via DCT-II (the rectangle solver), float32.
            f = np.zeros((h, w), np.float32)
            f[:, 1:] += p[:, 1:] - p[:, :-1]
            f[1:, :] += q[1:, :] - q[:-1, :]
            F = sf.dctn(f, type=2, norm="ortho", workers=2)
            ky = 2 * np.cos(np.pi * np.arange(h) / h) - 2
            kx = 2 * np.cos(np.pi * np.arange(w) / w) - 2
            d = ky[:, None] + kx[None, :]
            d[0, 0] = 1
            F /= d
            F[0, 0] = 0
            return sf.idctn(F, type=2, norm="ortho", workers=2)

        emit("scipy-dct-integrate", w, h, 0, median_ms(dct_poisson, a.runs), cpuMs=CPU_MS[dct_poisson], note="DCT Poisson, scipy.fft, 2 workers")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
