"""SQUID written in PyTorch from ../../../shared/spec/squid-reference.md, for
measuring only (bench/run.ts times it beside the TypeScript model): one
training iteration (discriminator step + generator step, batch 16) and
per-image inference, at the zhanglab or digitanatomy preset.

usage: python3 squid_reference.py --preset zhanglab --mode train|infer|infer-batch
       [--iters 2] [--warmup 1] [--threads 2] [--batch 16]
prints one JSON line: {"preset", "mode", "ms": [per-iteration ms], "maxRssMb"}.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "zhanglab": dict(size=128, P=2, ch=[32, 64, 128, 256, 512], combine=2, inpaint=128, slots=200,
                     heads=8, ff=512, mem_levels=2, windows=2, disc=[16, 32, 64, 128, 128], topk=4),
    "digitanatomy": dict(size=96, P=3, ch=[32, 64, 128, 256], combine=1, inpaint=64, slots=200,
                         heads=8, ff=512, mem_levels=2, windows=1, disc=[16, 32, 64, 128, 128], topk=4),
}
W = dict(rec=10.0, teacher=0.01, dist=0.001, gen=0.005, disc=0.005)


class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout)
        self.c3, self.b3 = nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout)

    def forward(self, x):
        a = F.relu(self.b1(self.c1(x)))
        b = self.b3(self.c3(F.relu(self.b2(self.c2(a)))))
        return F.relu(a + b)


class Up(nn.Module):
    def __init__(self, cin, cout, concat):
        super().__init__()
        self.concat, self.block = concat, Block(cin, cout)

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.block(torch.cat([skip, x], 1) if self.concat else x)


def split_patches(x, P):
    b, c, h, w = x.shape
    x = x.view(b, c, P, h // P, P, w // P).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b * P * P, c, h // P, w // P)


def assemble(x, P):
    n, c, h, w = x.shape
    x = x.view(n // (P * P), P, P, c, h, w).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(n // (P * P), c, P * h, P * w)


def shrink_read(q, mem, k):
    """Gumbel top-k shrinkage read (straight-through). q [n, w, d], mem [w, S, d] -> [n, w, d]."""
    y = torch.softmax(torch.einsum("nwd,wsd->nws", q, mem), -1)
    t = torch.topk(y, k + 1, -1).values[..., -1:]
    h = F.relu(y - t) * y / (torch.abs(y - t) + 1e-12)
    h = h / (h.sum(-1, keepdim=True) + 1e-12)
    h = y + (h - y).detach()
    return torch.einsum("nws,wsd->nwd", h, mem)


class Inpaint(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, ci, P = cfg["ch"][-1], cfg["inpaint"], cfg["P"]
        self.P, self.k, self.ci = P, cfg["topk"], ci
        self.d = ci * 16
        self.proj = nn.Sequential(nn.Conv2d(c, ci, 1, bias=False), nn.BatchNorm2d(ci), nn.ReLU())
        bound = 1 / math.sqrt(self.d)
        self.register_buffer("queue", torch.empty(P * P, cfg["slots"], self.d).uniform_(-bound, bound))
        self.register_buffer("ptr", torch.zeros(P * P, dtype=torch.long))
        self.attn = nn.MultiheadAttention(self.d, cfg["heads"], batch_first=True)
        self.ln1, self.ln2 = nn.LayerNorm(self.d), nn.LayerNorm(self.d)
        self.ff = nn.Sequential(nn.Linear(self.d, cfg["ff"]), nn.ReLU(), nn.Linear(cfg["ff"], self.d))
        self.bits = int(math.floor(math.log2(P * P))) + 1
        self.out = nn.Sequential(nn.Conv2d(ci + self.bits, c, 1), nn.BatchNorm2d(c), nn.ReLU())
        code = torch.tensor([[(i >> b) & 1 for b in range(self.bits)] for i in range(P * P)], dtype=torch.float32)
        self.register_buffer("code", code)
        # neighbour index (3x3 window minus centre), -1 beyond the border
        nb = []
        for i in range(P * P):
            r, c0 = divmod(i, P)
            row = []
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if dr == 0 and dc == 0:
                        continue
                    rr, cc = r + dr, c0 + dc
                    row.append(rr * P + cc if 0 <= rr < P and 0 <= cc < P else -1)
            nb.append(row)
        self.register_buffer("nb", torch.tensor(nb))

    def forward(self, x, mask):
        n = x.shape[0]
        PP = self.P * self.P
        b = n // PP
        q = self.proj(x).reshape(b, PP, self.d)
        reads = shrink_read(q, self.queue.detach(), self.k)  # [b, PP, d]
        padded = torch.cat([reads, torch.zeros_like(reads[:, :1])], 1)
        idx = torch.where(self.nb < 0, torch.full_like(self.nb, PP), self.nb)
        keys = padded[:, idx]  # [b, PP, 8, d]
        a, _ = self.attn(q.reshape(b * PP, 1, self.d), keys.reshape(b * PP, 8, self.d), keys.reshape(b * PP, 8, self.d))
        h = F.relu(self.ln1(a.reshape(b, PP, self.d)) + reads)
        h = F.relu(self.ln2(self.ff(h)) + h)
        h = h.reshape(n, self.ci, 4, 4)
        code = self.code.repeat(b, 1)[:, :, None, None].expand(-1, -1, 4, 4)
        out = self.out(torch.cat([h, code], 1))
        if mask:
            m = torch.bernoulli(torch.full((n, 1, 4, 4), 0.95))
            out = m * out + (1 - m) * x
        return out, q.detach()

    @torch.no_grad()
    def write(self, q):
        PP = self.P * self.P
        for pos in range(PP):
            rows = q[:, pos]
            for r in rows:
                self.queue[pos, self.ptr[pos]] = r
                self.ptr[pos] = (self.ptr[pos] + 1) % self.queue.shape[1]


class DecMem(nn.Module):
    """Memory matrix block over windows of each patch map."""

    def __init__(self, c, side, windows, slots, k):
        super().__init__()
        self.wn, self.k = windows, k
        self.ws = side // windows
        d = c * self.ws * self.ws
        self.mem = nn.Parameter(torch.empty(windows * windows, slots, d).uniform_(-1 / math.sqrt(d), 1 / math.sqrt(d)))

    def forward(self, x, mask):
        n, c, h, w = x.shape
        q = split_patches(x, self.wn).reshape(n, self.wn * self.wn, -1)
        r = shrink_read(q, self.mem, self.k)
        out = assemble(r.reshape(n * self.wn * self.wn, c, self.ws, self.ws), self.wn)
        if mask:
            m = torch.bernoulli(torch.full((n, 1, h, w), 0.95))
            out = m * out + (1 - m) * x
        return out


class Decoder(nn.Module):
    def __init__(self, cfg, memory):
        super().__init__()
        ch, L, self.P, self.combine = cfg["ch"], len(cfg["ch"]) - 1, cfg["P"], cfg["combine"]
        side = cfg["size"] // cfg["P"]
        self.ups, self.mems = nn.ModuleList(), nn.ModuleList()
        cin = ch[L]
        for k, i in enumerate(range(L - 1, -1, -1)):
            concat = i >= self.combine
            self.ups.append(Up(cin + ch[i] if concat else cin, ch[i], concat))
            cin = ch[i]
            use = memory and k < cfg["mem_levels"]
            s = side >> i
            self.mems.append(DecMem(ch[i], s, cfg["windows"], cfg["slots"], cfg["topk"]) if use else nn.Identity())
        self.out = nn.Conv2d(cin, 1, 1)

    def forward(self, x, skips, mask):
        levels = []
        L = len(skips)
        for k, (up, mem) in enumerate(zip(self.ups, self.mems)):
            i = L - 1 - k
            if i == self.combine - 1:
                x = assemble(x, self.P)
            x = up(x, skips[i])
            x = mem(x, mask) if isinstance(mem, DecMem) else x
            levels.append(x)
        return torch.sigmoid(self.out(x)), levels


class Generator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch = cfg["ch"]
        self.P, self.combine = cfg["P"], cfg["combine"]
        self.inb = Block(1, ch[0])
        self.downs = nn.ModuleList([Block(ch[i], ch[i + 1], 2) for i in range(len(ch) - 1)])
        self.inpaint = Inpaint(cfg)
        self.student, self.teacher = Decoder(cfg, True), Decoder(cfg, False)

    def forward(self, x, with_teacher=True):
        h = self.inb(split_patches(x, self.P))
        skips = []
        for i, d in enumerate(self.downs):
            skips.append(assemble(h, self.P) if i < self.combine else h)
            h = d(h)
        z, q = self.inpaint(h, self.training)
        s, s_levels = self.student(z, skips, self.training)
        if not with_teacher:
            return s, None, s_levels, None, q
        t, t_levels = self.teacher(h.detach(), [k.detach() for k in skips], False)
        return s, t, s_levels, t_levels, q


class Discriminator(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        layers, c, side = [], 1, cfg["size"]
        for i, o in enumerate(cfg["disc"]):
            layers += [nn.Conv2d(c, o, 5, 2, 2)] + ([nn.BatchNorm2d(o)] if i else []) + [nn.LeakyReLU(0.2)]
            c, side = o, (side + 1) // 2
        self.f = nn.Sequential(*layers)
        self.fc = nn.Linear(c * side * side, 1)

    def forward(self, x):
        return self.fc(self.f(x).flatten(1)).squeeze(1)


def bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="zhanglab")
    ap.add_argument("--mode", default="train")
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = PRESETS[a.preset]
    G, D = Generator(cfg), Discriminator(cfg)
    x = torch.rand(a.batch, 1, cfg["size"], cfg["size"])
    times = []
    if a.mode == "train":
        og = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.999), eps=1e-7, weight_decay=1e-5)
        od = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.999))
        G.train()
        D.train()

        def iteration():
            with torch.no_grad():
                fake = G(x, with_teacher=False)[0]
            od.zero_grad()
            ld = (bce(D(x), 1.0) + bce(D(fake), 0.0)) * W["disc"]
            ld.backward()
            od.step()
            og.zero_grad()
            s, t, sl, tl, q = G(x)
            lg = (F.mse_loss(s, x) * W["rec"] + F.mse_loss(t, x) * W["teacher"]
                  + sum(F.mse_loss(p, r) for p, r in zip(sl, tl)) * W["dist"] + bce(D(s), 1.0) * W["gen"])
            lg.backward()
            og.step()
            G.inpaint.write(q)
            return float(ld) + float(lg)
    elif a.mode == "infer-batch":
        G.eval()
        D.train()  # the reference scores with per-image batch statistics: one image at a time through D

        def iteration():
            with torch.no_grad():
                s = G(x, with_teacher=False)[0]
                return sum(float(D(s[i:i + 1])[0]) for i in range(s.shape[0]))
    else:
        G.eval()
        D.train()  # the reference scores with per-image batch statistics
        one = x[:1]

        def iteration():
            with torch.no_grad():
                s = G(one, with_teacher=False)[0]
                return float(D(s)[0])
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        iteration()
        if i >= a.warmup:
            per = a.batch if a.mode == "infer-batch" else 1  # infer-batch: per image
            times.append((time.perf_counter() - t0) * 1000 / per)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"preset": a.preset, "mode": a.mode, "ms": times, "maxRssMb": rss, "threads": a.threads,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
