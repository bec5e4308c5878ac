#!/usr/bin/python3
"""Train the surface-defect segmentation model on `gradebooth sim dataset --maps` output and export ONNX.

Input: the dataset folders' <card>/<side>/maps/{features.i16,labels.u8,maps.json} — reconstructed normals,
albedo and relief turned into the runtime's features (src/grading/surface/features.ts), with per-pixel
classes rasterised from the simulator's truth on the same canonical card frame.
Output: model.onnx and train.json (recipe, seeds, losses, data id, and "io": how the graph's input and output
are laid out). --arch s2d-unet (default): input "features" [N, 24, H/2, W/2] packed space-to-depth, output
"logits" [N, 24, H/2, W/2] packed the same way, the runtime applies the softmax (see SpaceToDepthUNet).
--arch unet (the network of models 1.0–1.3): input "features" [N, 6, H, W], output "logits" [N, 6, H, W]
(models up to 1.3.0 ended in a Softmax, output "probabilities").
H and W are multiples of 16.

Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx); see scripts/train-surface-model.sh.
"""
import argparse
import hashlib
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = ["slope-x", "slope-y", "relief", "log-albedo", "ps-misfit", "mask"]
MASK = CHANNELS.index("mask")
MISFIT = CHANNELS.index("ps-misfit")
CLASSES = ["background", "scratch", "dent", "crease", "print-line", "stain"]


def find_sides(root):
    sides = []
    for dirpath, _dirs, files in sorted(os.walk(root, followlinks=True)):
        if "maps.json" in files and os.path.basename(dirpath) == "maps":
            sides.append(dirpath)
    return sorted(sides)


def load_side(d):
    meta = json.load(open(os.path.join(d, "maps.json")))
    if meta["format"] != "gradebooth-surface-maps/2" or meta["channels"] != CHANNELS or meta["classes"] != CLASSES:
        raise SystemExit(f"{d}: unexpected maps format/channels/classes")
    w, h = meta["widthPx"], meta["heightPx"]
    f = np.fromfile(os.path.join(d, "features.i16"), dtype=np.int16).reshape(len(CHANNELS), h, w)
    lab = np.fromfile(os.path.join(d, "labels.u8"), dtype=np.uint8).reshape(h, w)
    return meta, f, lab


def dataset_id(sides):
    """sha256 over every file the training reads: the data's identity in the manifest."""
    h = hashlib.sha256()
    for d in sides:
        for name in ("maps.json", "features.i16", "labels.u8"):
            h.update(name.encode())
            with open(os.path.join(d, name), "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class SmallUNet(nn.Module):
    """A compact U-Net: 4 scales (1, 1/2, 1/4, 1/8), widths w, 2w, 4w, 8w; softmax head in the graph."""

    def __init__(self, cin=len(CHANNELS), ncls=len(CLASSES), w=16):
        super().__init__()
        self.e1, self.e2, self.e3 = conv_block(cin, w), conv_block(w, 2 * w), conv_block(2 * w, 4 * w)
        self.mid = conv_block(4 * w, 8 * w)
        self.u3, self.d3 = nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2), conv_block(8 * w, 4 * w)
        self.u2, self.d2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), conv_block(4 * w, 2 * w)
        self.u1, self.d1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2), conv_block(2 * w, w)
        self.head = nn.Conv2d(w, ncls, 1)

    def logits(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        m = self.mid(F.max_pool2d(e3, 2))
        d3 = self.d3(torch.cat([self.u3(m), e3], 1))
        d2 = self.d2(torch.cat([self.u2(d3), e2], 1))
        d1 = self.d1(torch.cat([self.u1(d2), e1], 1))
        return self.head(d1)

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class SpaceToDepthUNet(nn.Module):
    """The same U-Net on 2×2 pixel blocks: the features enter packed space-to-depth (6 channels → 24 at half
    resolution, nothing lost: a 1–3 px scratch is still all there), and each half-resolution position
    predicts the logits of its 4 pixels, unpacked depth-to-space. onnxruntime's CPU time on the full-resolution
    U-Net (1.2.x) went to memory traffic (layout reorders around Concat, Softmax on axis 1) rather than to
    the convolutions; at half resolution those tensors are a quarter the size, which pays for twice the width.
    The receptive field doubles too (~200 px, 12 mm at 60 µm/px).
    ONNX: input [N, 24, H/2, W/2] (channel c·4 + dy·2 + dx, torch's pixel_unshuffle), output logits
    [N, 24, H/2, W/2] (class k·4 + dy·2 + dx, pixel_shuffle); the runtime packs, unpacks and applies the
    softmax (src/grading/surface/detector.ts), so the graph holds no Softmax or Transpose."""

    block = 2

    def __init__(self, cin=len(CHANNELS), ncls=len(CLASSES), w=16):
        super().__init__()
        self.net = SmallUNet(cin=cin * self.block ** 2, ncls=ncls * self.block ** 2, w=w)

    def packed_logits(self, xp):
        return self.net.logits(xp)

    def logits(self, x):
        return F.pixel_shuffle(self.packed_logits(F.pixel_unshuffle(x, self.block)), self.block)

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


class LogitsExport(nn.Module):
    """What is exported: the network's logits (the runtime applies the softmax), packed in and out for a
    SpaceToDepthUNet."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.packed_logits(x) if isinstance(self.model, SpaceToDepthUNet) else self.model.logits(x)


def make_model(arch, width):
    if arch == "unet":
        return SmallUNet(w=width)
    if arch == "s2d-unet":
        return SpaceToDepthUNet(w=width)
    raise SystemExit(f"unknown --arch {arch}")


class TileSampler:
    """Random training tiles: a fraction centred near a defect pixel (each defect class equally often, so the
    thin scratches are not outnumbered by creases and stains), a fraction of hard negatives (tiles centred
    where the PS fit is poor without a defect: holo foil, glossy highlights; and tiles of clean cards), the
    rest anywhere on the card."""

    def __init__(self, sides, tile, rng, defect_fraction, hard_fraction):
        self.sides, self.tile, self.rng = sides, tile, rng
        self.defect_fraction, self.hard_fraction = defect_fraction, hard_fraction
        self.by_class = {}  # class -> list of (side index, ys, xs)
        self.hard = []  # (side index, ys, xs) of misfit pixels away from defects
        self.clean = []
        for i, (meta, f, lab) in enumerate(sides):
            for c in range(1, len(CLASSES)):
                ys, xs = np.nonzero(lab == c)
                if len(ys):
                    self.by_class.setdefault(c, []).append((i, ys, xs))
            # Foil-like misfit: over 0.6 on more than 0.5 % of the card (a foil patch is 3–8 % of it at
            # over 0.8; a plain card has a few such px along its outline and at scratches).
            ys, xs = np.nonzero((f[MISFIT] > 0.6 * 4096) & (lab == 0))
            if len(ys) > 0.005 * int((f[MASK] > 0).sum()):
                self.hard.append((i, ys, xs))
            if meta.get("clean"):
                self.clean.append(i)
        self.classes = sorted(self.by_class)

    def sample(self):
        t = self.tile
        r = self.rng.random()
        if self.classes and r < self.defect_fraction:
            c = self.rng.choice(self.classes)
            i, ys, xs = self.rng.choice(self.by_class[c])
            k = self.rng.randrange(len(ys))
            cy, cx = ys[k] + self.rng.randint(-t // 3, t // 3), xs[k] + self.rng.randint(-t // 3, t // 3)
        elif self.hard and r < self.defect_fraction + self.hard_fraction:
            i, ys, xs = self.rng.choice(self.hard)
            k = self.rng.randrange(len(ys))
            cy, cx = ys[k], xs[k]
        elif self.clean and r < self.defect_fraction + 1.5 * self.hard_fraction:
            i = self.rng.choice(self.clean)
            _m, f, _l = self.sides[i]
            cy, cx = self.rng.randrange(f.shape[1]), self.rng.randrange(f.shape[2])
        else:
            i = self.rng.randrange(len(self.sides))
            _m, f, _l = self.sides[i]
            cy, cx = self.rng.randrange(f.shape[1]), self.rng.randrange(f.shape[2])
        _m, f, lab = self.sides[i]
        h, w = lab.shape
        y0 = min(max(0, cy - t // 2), h - t)
        x0 = min(max(0, cx - t // 2), w - t)
        x = f[:, y0:y0 + t, x0:x0 + t].astype(np.float32) / 4096.0
        y = lab[y0:y0 + t, x0:x0 + t].astype(np.int64)
        return augment(x, y, self.rng)


def augment(x, y, rng):
    """Flips and quarter turns with the slope channels turned along (x right, y up), slope/relief gain and
    reconstruction noise (applied before the asinh compression, i.e. on the physical deviation)."""
    if rng.random() < 0.5:  # mirror left-right: slope-x changes sign
        x, y = x[:, :, ::-1], y[:, ::-1]
        x[0] = -x[0]
    if rng.random() < 0.5:  # mirror top-bottom: slope-y changes sign
        x, y = x[:, ::-1, :], y[::-1, :]
        x[1] = -x[1]
    if rng.random() < 0.5:  # transpose (rows <-> columns): x right/y up swap and both change sign
        x, y = x.transpose(0, 2, 1), y.T
        x[[0, 1]] = -x[[1, 0]]
    x = np.ascontiguousarray(x)
    y = np.ascontiguousarray(y)
    on = x[MASK] > 0
    # Physical-domain jitter: deviations rescaled (steeper/shallower relief, other lighting), then noise.
    for c, sigma in ((0, 0.35), (1, 0.35), (2, 0.15)):
        v = np.sinh(x[c]) * np.exp(rng.gauss(0, 0.25))
        v += np.float32(rng.uniform(0, sigma)) * np.random.standard_normal(v.shape).astype(np.float32)
        x[c] = np.where(on, np.arcsinh(v), 0)
    la = np.sinh(x[3]) * np.exp(rng.gauss(0, 0.2))
    x[3] = np.where(on, np.arcsinh(la), 0)
    # The misfit's level depends on exposure, noise and gloss: a mild gain, kept in 0..1.
    x[MISFIT] = np.where(on, np.clip(x[MISFIT] * np.exp(rng.gauss(0, 0.15)), 0, 1), 0)
    return x, y


def card_seed(path):
    """The card seed of a side folder (<card>/<side>/maps), from its maps.json."""
    return json.load(open(os.path.join(path, "maps.json")))["seed"]


def lr_at(progress, peak, warmup=0.03):
    """Linear warm-up over the first 3 % of training, then cosine decay to 2 % of the peak."""
    if progress < warmup:
        return peak * (0.05 + 0.95 * progress / warmup)
    t = min(1.0, (progress - warmup) / (1 - warmup))
    return peak * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, action="append", help="dataset folder (sim dataset --maps); repeatable")
    ap.add_argument("--out", required=True, help="output folder for model.onnx and train.json")
    ap.add_argument("--val-every", type=int, default=7, help="cards whose seed is a multiple of this are the validation split (not trained on)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--max-minutes", type=float, default=0, help="end training (schedule included) within this time (0: no limit)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--arch", choices=["s2d-unet", "unet"], default="s2d-unet", help="s2d-unet: the U-Net on 2×2 pixel blocks; unet: the full-resolution U-Net of models 1.0–1.3")
    ap.add_argument("--tile", type=int, default=256, help="tile edge, px: at least the network's receptive field (~200 px for s2d-unet, ~100 px for unet), so training sees the context inference does")
    ap.add_argument("--width", type=int, default=16, help="channels of the first level (unet: 8 for models 1.0–1.3)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-class-weight", type=float, default=3.0)
    ap.add_argument("--defect-tiles", type=float, default=0.3, help="fraction of tiles centred near a defect pixel (classes equally often)")
    ap.add_argument("--hard-tiles", type=float, default=0.3, help="fraction of tiles centred on pixels without a defect where the PS misfit is over 0.6 (holo foil: over 0.8 on it, under 0.01 of a plain card); half as many again from clean cards")
    ap.add_argument("--focal-gamma", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=1, help="1: deterministic, and no spinning OpenMP threads on a shared machine")
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args()

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)

    all_paths = sorted(p for d in a.data for p in find_sides(d))
    if not all_paths:
        raise SystemExit(f"{a.data}: no */maps/maps.json (run gradebooth sim dataset --maps first)")
    paths = [p for p in all_paths if card_seed(p) % a.val_every != 0]
    val_paths = [p for p in all_paths if card_seed(p) % a.val_every == 0]
    sides = [load_side(p) for p in paths]
    data_id = dataset_id(all_paths)
    counts = np.zeros(len(CLASSES))
    for _m, _f, lab in sides:
        counts += np.bincount(lab.ravel(), minlength=len(CLASSES))[: len(CLASSES)]
    print(f"{len(sides)} training sides, {len(val_paths)} validation sides; class pixels {dict(zip(CLASSES, counts.astype(int).tolist()))}", flush=True)

    sampler = TileSampler(sides, a.tile, rng, a.defect_tiles, a.hard_tiles)
    print(f"hard-negative sides {len(sampler.hard)}, clean sides {len(sampler.clean)}, defect classes {[CLASSES[c] for c in sampler.classes]}", flush=True)
    model = make_model(a.arch, a.width)
    # Rare classes weigh somewhat more (square-root inverse frequency, capped): plain cross-entropy with
    # weights up to 12 made the first model call everything a defect (1.0.0 of the i11b branch, recall 0);
    # a cap of 5 with focal γ = 2 and 45 % defect tiles (1.1.0-r3) gave over-confident defect probabilities
    # (pixel precision 0.11 at 0.5) and foil read as dents: cap 3, γ = 1 and 30 % defect tiles since.
    freq = counts / counts.sum()
    weights = torch.tensor(np.clip(np.sqrt(freq[0] / np.maximum(freq, 1e-9)), 1, a.max_class_weight), dtype=torch.float32)
    print("class weights", [round(float(v), 2) for v in weights], flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    # Progress is the larger of the step fraction and, with --max-minutes, the time fraction: on a shared
    # machine the schedule (warm-up, cosine decay) still completes within the time budget. train.json
    # records the steps run; rerun with --steps N and no --max-minutes to repeat them exactly.
    budget_s = a.max_minutes * 60
    losses = []
    t0 = time.time()
    model.train()
    step = 0
    progress = 0.0
    while progress < 1:
        for g in opt.param_groups:
            g["lr"] = lr_at(progress, a.lr)
        xs, ys = zip(*(sampler.sample() for _ in range(a.batch)))
        x = torch.from_numpy(np.stack(xs))
        y = torch.from_numpy(np.stack(ys))
        logits = model.logits(x)
        # Focal cross-entropy: scratch is 0.1 % of the pixels; (1 − p)^γ takes the ~99 % easy background
        # pixels out of the sum so the rare classes and the hard negatives (foil) drive the gradient.
        logp = F.log_softmax(logits, 1)
        logp_t = logp.gather(1, y[:, None])[:, 0]
        pt = logp_t.exp()
        ce = -(weights[y] * (1 - pt) ** a.focal_gamma * logp_t).sum() / weights[y].sum()
        # Soft dice per defect class present in the batch plus defect-vs-surface: the defect level (found
        # or not, false or not) is what counts, whatever the pixel count of a thin scratch.
        p = logp.exp()
        dices = []
        fg_p = 1 - p[:, 0]
        fg_t = (y > 0).float()
        dices.append(1 - (2 * (fg_p * fg_t).sum() + 1) / (fg_p.sum() + fg_t.sum() + 1))
        for c in range(1, len(CLASSES)):
            tc = (y == c).float()
            if tc.sum() > 0:
                pc = p[:, c]
                dices.append(1 - (2 * (pc * tc).sum() + 1) / (pc.sum() + tc.sum() + 1))
        dice = torch.stack(dices).mean()
        loss = 10 * ce + dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        progress = max(step / a.steps, (time.time() - t0) / budget_s if budget_s > 0 else 0)
        if step % 100 == 0 or progress >= 1:
            print(f"step {step} progress {progress:.3f} loss {np.mean(losses[-100:]):.4f} ce {float(ce):.4f} dice {float(dice):.3f} lr {opt.param_groups[0]['lr']:.5f} {time.time() - t0:.0f}s", flush=True)

    model.eval()
    # Pixel-level figures on the validation cards (whole sides, as the runtime sees them in tiles).
    val = {"sides": len(val_paths)}
    if val_paths:
        tp = fp = fn = 0
        with torch.no_grad():
            for vp in val_paths:
                _m, f, lab = load_side(vp)
                h, w = lab.shape
                H, W = (h + 15) // 16 * 16, (w + 15) // 16 * 16
                x = np.zeros((1, len(CHANNELS), H, W), np.float32)
                x[0, :, :h, :w] = f.astype(np.float32) / 4096.0
                fg = (1 - model(torch.from_numpy(x))[0, 0, :h, :w].numpy()) >= 0.5
                tp += int((fg & (lab > 0)).sum()); fp += int((fg & (lab == 0)).sum()); fn += int((~fg & (lab > 0)).sum())
        val.update({"pixelPrecisionAt0.5": round(tp / max(1, tp + fp), 3), "pixelRecallAt0.5": round(tp / max(1, tp + fn), 3)})
        print("validation", val, flush=True)
    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, "model.onnx")
    # Both export logits: the detector applies the softmax (a Softmax over the classes' axis cost
    # onnxruntime a third of the full-resolution U-Net's time; see logits-from-softmax.py).
    b = SpaceToDepthUNet.block if a.arch == "s2d-unet" else 1
    exported, dummy = LogitsExport(model), torch.zeros(1, len(CHANNELS) * b * b, 128 // b, 128 // b)
    io = {"inputBlockPx": b, "outputBlockPx": b, "output": "logits", "activation": "logits"}
    torch.onnx.export(
        exported, dummy, onnx_path, opset_version=a.opset, input_names=["features"], output_names=[io["output"]],
        dynamic_axes={"features": {0: "n", 2: "h", 3: "w"}, io["output"]: {0: "n", 2: "h", 3: "w"}},
        do_constant_folding=True,
    )
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    info = {
        "recipe": "scripts/train/surface.py",
        "args": vars(a),
        "stepsRun": step,
        "channels": CHANNELS,
        "classes": CLASSES,
        "io": io,
        "trainingData": {"id": data_id, "sides": len(sides), "validationSides": len(val_paths),
                         "cards": len({os.path.dirname(os.path.dirname(p)) for p in paths}),
                         "classPixels": dict(zip(CLASSES, counts.astype(int).tolist()))},
        "classWeights": [round(float(v), 3) for v in weights],
        "validation": val,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "finalLoss": float(np.mean(losses[-100:])),
        "trainSeconds": round(time.time() - t0, 1),
        "torch": torch.__version__,
    }
    json.dump(info, open(os.path.join(a.out, "train.json"), "w"), indent=1)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)", flush=True)


if __name__ == "__main__":
    main()
