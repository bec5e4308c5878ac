#!/usr/bin/python3
"""Turn a surface model that ends in a Softmax over the classes into the same network ending in its logits
(manifest output activation "logits": the detector applies the softmax, natively, in native/vision/tiles.c).

onnxruntime runs a Softmax over axis 1 of an NCHW tensor through layout reorders and a transpose: a third
of the full-resolution U-Net's CPU time (models 1.0–1.3.0). Nothing else in the graph changes: the weights
are the same bytes, so the held-out figures are the same up to the softmax's float rounding.

    /usr/bin/python3 scripts/train/logits-from-softmax.py IN.onnx OUT.onnx
"""
import sys

import onnx


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: logits-from-softmax.py IN.onnx OUT.onnx")
    m = onnx.load(sys.argv[1])
    g = m.graph
    if len(g.output) != 1:
        raise SystemExit(f"{sys.argv[1]}: expected one graph output, found {len(g.output)}")
    out = g.output[0]
    last = [n for n in g.node if out.name in n.output]
    if len(last) != 1 or last[0].op_type != "Softmax":
        raise SystemExit(f"{sys.argv[1]}: the output {out.name} is not made by a Softmax")
    sm = last[0]
    axis = next((a.i for a in sm.attribute if a.name == "axis"), None)
    if axis != 1:
        raise SystemExit(f"{sys.argv[1]}: the Softmax is over axis {axis}, not the classes (1)")
    logits = sm.input[0]
    if any(logits in n.input for n in g.node if n is not sm):
        raise SystemExit(f"{sys.argv[1]}: {logits} feeds more than the Softmax")
    g.node.remove(sm)
    # The tensor that fed the Softmax becomes the graph output "logits" (same shape, same dims).
    for n in g.node:
        for i, o in enumerate(n.output):
            if o == logits:
                n.output[i] = "logits"
    out.name = "logits"
    onnx.checker.check_model(m)
    onnx.save(m, sys.argv[2])
    print(f"wrote {sys.argv[2]}: {sys.argv[1]} without its final Softmax (output \"logits\")")


if __name__ == "__main__":
    main()
