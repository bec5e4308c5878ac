#!/usr/bin/python3
"""Quantize a surface model to 8 bits (QDQ: QuantizeLinear/DequantizeLinear pairs that onnxruntime fuses
into integer kernels), without onnxruntime's Python tools (Debian has none; PyPI is out of reach here).

Two steps, with the activation ranges measured in between by the runtime itself
(scripts/train/activation-ranges.ts: the detector's own features and tiles through onnxruntime-node):

    /usr/bin/python3 scripts/train/quantize.py augment --model FLOAT.onnx --out AUGMENTED.onnx
    node --import tsx scripts/train/activation-ranges.ts --model AUGMENTED.onnx --data DIR... --out RANGES.json
    /usr/bin/python3 scripts/train/quantize.py qdq --model FLOAT.onnx --ranges RANGES.json --out INT8.onnx --report Q.json

The scheme, and why:
- activations: uint8 per tensor, the range [min, max] seen on the calibration tiles (0 always inside; a
  ReLU's output has zero-point 0, so onnxruntime drops the ReLU into the convolution's requantisation);
  the graph input (the features) too, so the first convolution is integer as well;
- convolution weights: int8 per output channel, symmetric, in 7 bits (scale max|w| / 63): x86 CPUs without
  VNNI multiply uint8 by int8 in pairs summed to int16 (pmaddubsw), which saturates past 2 × 255 × 64; with
  7-bit weights no sum can (onnxruntime's own tool calls this reduce_range). Biases int32 at the input
  scale × the weight scale, as QLinearConv takes them;
- kept in float: the 2×2 transposed convolutions (onnxruntime 1.x on the CPU has no QDQ kernel for them: a
  quantized weight would only add rounding), and the 1×1 head (its logits are the graph's output; 1 % of
  the multiply-adds). MaxPool and Concat run on the 8-bit values (onnxruntime's QDQ rules).
The graph's input and output stay float32 with the same names and shapes: the manifest's input/output spec
and the detector do not change.
"""
import argparse
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

# The largest weight magnitude: 7 bits (see the docstring: no int16 saturation on CPUs without VNNI).
WEIGHT_MAX = 63

# Ops whose output is quantized (MaxPool's takes its input's range: it only picks values).
QUANTIZED_OUTPUTS = ("Relu", "ConvTranspose", "Concat")


def quantized_tensors(g):
    """The graph input and the outputs of QUANTIZED_OUTPUTS ops, in graph order."""
    return [g.input[0].name] + [n.output[0] for n in g.node if n.op_type in QUANTIZED_OUTPUTS]


def augment(a):
    m = onnx.load(a.model)
    g = m.graph
    have = {o.name for o in g.output}
    names = quantized_tensors(g)
    for name in names:
        if name not in have:
            g.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    onnx.save(m, a.out)
    print(f"{a.out}: {len(names)} tensors to measure as outputs")


def qparams(lo, hi):
    """uint8 scale and zero-point for [lo, hi] (widened to hold 0, so that zero padding is exact)."""
    lo, hi = min(0.0, float(lo)), max(0.0, float(hi))
    if hi - lo < 1e-12:
        hi = lo + 1e-6
    scale = (hi - lo) / 255.0
    zp = int(min(255, max(0, round(-lo / scale))))
    return np.float32(scale), np.uint8(zp)


def qdq(a):
    m = onnx.load(a.model)
    g = m.graph
    ranges = json.load(open(a.ranges))["tensors"]
    inits = {i.name: i for i in g.initializer}
    targets = {}
    for name in quantized_tensors(g):
        if name not in ranges:
            raise SystemExit(f"GB_USAGE: {a.ranges}: no range for tensor {name} (measured on another model?)")
        targets[name] = (ranges[name]["min"], ranges[name]["max"])
    for n in g.node:
        if n.op_type == "MaxPool":
            if n.input[0] not in targets:
                raise SystemExit(f"GB_MODEL_INVALID: MaxPool {n.name} takes an unquantized input {n.input[0]}")
            targets[n.output[0]] = targets[n.input[0]]
    scales = {}
    new_inits = []
    after = {}  # tensor -> [Q, DQ] nodes placed right after its producer (or first, for the input)
    for name, (lo, hi) in targets.items():
        s, z = qparams(lo, hi)
        scales[name] = float(s)
        new_inits += [numpy_helper.from_array(np.array(s), f"{name}_scale"), numpy_helper.from_array(np.array(z), f"{name}_zp")]
        after[name] = [
            helper.make_node("QuantizeLinear", [name, f"{name}_scale", f"{name}_zp"], [f"{name}_q"], name=f"{name}_Q"),
            helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_scale", f"{name}_zp"], [f"{name}_dq"], name=f"{name}_DQ"),
        ]
    # Every consumer reads the dequantized tensor.
    for n in g.node:
        for i, x in enumerate(n.input):
            if x in targets:
                n.input[i] = f"{x}_dq"
    weight_dqs = []
    quantized_convs = kept_float = 0
    for n in g.node:
        if n.op_type == "ConvTranspose" or (n.op_type == "Conv" and n.output[0] in [o.name for o in g.output]):
            kept_float += 1
            continue
        if n.op_type != "Conv":
            continue
        x = n.input[0][: -len("_dq")]
        if n.input[1] not in inits or (len(n.input) > 2 and n.input[2] not in inits):
            raise SystemExit(f"GB_MODEL_INVALID: convolution {n.name}: weights that are not initializers")
        W = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)
        B = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32) if len(n.input) > 2 else np.zeros(W.shape[0], np.float32)
        sw = np.maximum(np.abs(W).reshape(W.shape[0], -1).max(axis=1), 1e-12) / WEIGHT_MAX
        Wq = np.clip(np.round(W / sw.reshape(-1, 1, 1, 1)), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
        sb = (scales[x] * sw).astype(np.float32)
        Bq = np.round(B / sb).astype(np.int32)
        wn, bn = f"{n.input[1]}_int8", f"{n.output[0]}_bias_int32"
        new_inits += [
            numpy_helper.from_array(Wq, wn), numpy_helper.from_array(sw.astype(np.float32), f"{wn}_scale"), numpy_helper.from_array(np.zeros(sw.shape, np.int8), f"{wn}_zp"),
            numpy_helper.from_array(Bq, bn), numpy_helper.from_array(sb, f"{bn}_scale"), numpy_helper.from_array(np.zeros(sb.shape, np.int32), f"{bn}_zp"),
        ]
        weight_dqs += [
            helper.make_node("DequantizeLinear", [wn, f"{wn}_scale", f"{wn}_zp"], [f"{wn}_dq"], name=f"{wn}_DQ", axis=0),
            helper.make_node("DequantizeLinear", [bn, f"{bn}_scale", f"{bn}_zp"], [f"{bn}_dq"], name=f"{bn}_DQ", axis=0),
        ]
        n.input[1] = f"{wn}_dq"
        if len(n.input) > 2:
            n.input[2] = f"{bn}_dq"
        else:
            n.input.append(f"{bn}_dq")
        quantized_convs += 1
    ordered = weight_dqs + after[g.input[0].name]
    for n in g.node:
        ordered.append(n)
        ordered += after.get(n.output[0], [])
    del g.node[:]
    g.node.extend(ordered)
    g.initializer.extend(new_inits)
    used = {x for n in g.node for x in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(m)
    # Written beside and renamed: an interrupted run leaves no half-written model under the final name.
    onnx.save(m, a.out + ".tmp")
    os.replace(a.out + ".tmp", a.out)
    float_bytes = open(a.model, "rb").read()
    report = {
        "scheme": "QDQ 8-bit: activations uint8 per tensor (min/max on the calibration tiles), convolution weights int8 per output channel (symmetric, 7 bits: |w| <= 63, so no int16 saturation on CPUs without VNNI), biases int32; transposed convolutions and the 1x1 head in float",
        "tool": "scripts/train/quantize.py",
        "floatSha256": hashlib.sha256(float_bytes).hexdigest(),
        "quantizedConvolutions": quantized_convs,
        "floatConvolutions": kept_float,
        "quantizedTensors": len(targets),
        "calibration": json.load(open(a.ranges)).get("calibration", {}),
    }
    if a.report:
        json.dump(report, open(a.report, "w"), indent=2)
    print(f"{a.out}: {quantized_convs} convolutions in 8 bits, {kept_float} kept in float, {len(targets)} activations quantized")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("augment", help="the float model with every tensor to quantize as an extra output")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("qdq", help="the QDQ model from the float model and the measured ranges")
    p.add_argument("--model", required=True)
    p.add_argument("--ranges", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--report", help="JSON describing the quantization (for the manifest)")
    a = ap.parse_args()
    augment(a) if a.cmd == "augment" else qdq(a)


if __name__ == "__main__":
    main()
