"""Times bench/kernels.ts's cases in PyTorch (measuring stick only).
stdin: JSON list of {"op", "shapes", "args"}; stdout: JSON list of median ms.
usage: python3 kernels.py --threads 2 < cases.json"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F


def nchw(s):
    return [s[0], s[3], s[1], s[2]] if len(s) == 4 else s


def build(case):
    op, sh, a = case["op"], case["shapes"], case.get("args", {})
    r = lambda s: torch.rand(*s) * 2 - 1
    if op.startswith("conv2d"):
        x, w, y = r(nchw(sh[0])), r([sh[1][3], sh[1][2], 3, 3]), r(nchw(sh[2]))
        st = int(a.get("stride", 1))
        if op == "conv2d":
            return lambda: F.conv2d(x, w, stride=st, padding=1)
        if op == "conv2d_backward_input":
            return lambda: torch.nn.grad.conv2d_input(x.shape, w, y, stride=st, padding=1)
        return lambda: torch.nn.grad.conv2d_weight(x, w.shape, y, stride=st, padding=1)
    x = r(nchw(sh[0]))
    if op in ("add", "mul", "sub"):
        b = sh[1]
        if len(b) == 1:
            y = r([1, b[0], 1, 1])
        elif len(b) == 4:
            y = r(nchw(b))
        f = {"add": torch.add, "mul": torch.mul, "sub": torch.sub}[op]
        return lambda: f(x, y)
    if op == "relu":
        return lambda: F.relu(x)
    if op == "leaky_relu":
        return lambda: F.leaky_relu(x, 0.2)
    if op == "sigmoid":
        return lambda: torch.sigmoid(x)
    if op == "relu_grad":
        dy = r(list(x.shape))
        return lambda: torch.ops.aten.threshold_backward(dy, x, 0)
    if op == "sum_nhw":
        return lambda: x.sum((0, 2, 3))
    if op == "mean_nhw":
        return lambda: x.mean((0, 2, 3))
    if op == "max_last":
        return lambda: x.amax(1)
    if op == "batchnorm_train":
        g, b = torch.ones(x.shape[1]), torch.zeros(x.shape[1])
        return lambda: F.batch_norm(x, None, None, g, b, training=True, eps=1e-5)
    if op == "matmul":
        a2, b2 = r(sh[0]), r(sh[1])
        return lambda: a2 @ b2
    if op == "resize":
        return lambda: F.interpolate(x, size=(a["size"], a["size"]), mode="bilinear", align_corners=False)
    if op == "resize_grad":
        xs = x.clone().requires_grad_(True)
        dy = r([x.shape[0], x.shape[1], a["size"], a["size"]])

        def f():
            (g,) = torch.autograd.grad(F.interpolate(xs, size=(a["size"], a["size"]), mode="bilinear", align_corners=False), xs, dy)
            return g
        return f
    if op == "concat":
        y = r(nchw(sh[1]))
        return lambda: torch.cat([x, y], 1)
    if op == "transpose_patch":
        x6 = r(sh[0])
        return lambda: x6.permute(0, 1, 3, 2, 4, 5).contiguous()
    if op == "slice_half":
        return lambda: x[:, : x.shape[1] // 2].contiguous()
    if op == "pad1":
        return lambda: F.pad(x, (1, 1, 1, 1))
    if op == "softmax":
        x2 = r(sh[0])
        return lambda: torch.softmax(x2, -1)
    raise ValueError(op)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = []
    for case in json.load(sys.stdin):
        f = build(case)
        with torch.no_grad() if case["op"] != "resize_grad" else torch.enable_grad():
            t0 = time.perf_counter()
            f()
            first = (time.perf_counter() - t0) * 1000
            reps = max(1, min(20, int(2000 / max(first, 0.01))))
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                f()
                ts.append((time.perf_counter() - t0) * 1000)
        ts.sort()
        out.append(ts[len(ts) // 2])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
