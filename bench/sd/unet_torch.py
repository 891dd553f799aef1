#!/usr/bin/python3
"""The SD 1.x U-Net forward in Python PyTorch (Debian python3-torch: the same LibTorch as
NoiseGraph), for a speed comparison with bench_sd on the same checkpoint and threads.

    unet_torch.py CHECKPOINT.safetensors [--threads N] [--sizes 256,512]

Written for this benchmark from the architecture (SD 1.x: 320 channels, mult 1,2,4,4,
2 res blocks, 8 heads, attention at the first three levels); it reads the weights with
the standard library and torch.frombuffer (no safetensors package needed).
"""
import json, math, struct, sys, time
import torch
import torch.nn.functional as F

def load(path, prefix="model.diffusion_model."):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        w = {}
        dtypes = {"F16": torch.float16, "F32": torch.float32, "BF16": torch.bfloat16}
        for k, v in header.items():
            if not k.startswith(prefix):
                continue
            b, e = v["data_offsets"]
            f.seek(base + b)
            t = torch.frombuffer(bytearray(f.read(e - b)), dtype=dtypes[v["dtype"]])
            w[k[len(prefix):]] = t.reshape(v["shape"]).float()
    return w

class UNet:
    def __init__(self, w, heads=8):
        self.w, self.heads = w, heads
        self.levels, self.nrb = 4, 2
        self.depth = [1, 1, 1, 0]

    def lin(self, p, x):
        return F.linear(x, self.w[p + ".weight"], self.w.get(p + ".bias"))

    def conv(self, p, x, stride=1):
        k = self.w[p + ".weight"]
        return F.conv2d(x, k, self.w.get(p + ".bias"), stride, k.shape[-1] // 2)

    def gn(self, p, x, eps):
        return F.group_norm(x, 32, self.w[p + ".weight"], self.w[p + ".bias"], eps)

    def ln(self, p, x):
        return F.layer_norm(x, x.shape[-1:], self.w[p + ".weight"], self.w[p + ".bias"])

    def res(self, p, x, emb):
        h = self.conv(p + ".in_layers.2", F.silu(self.gn(p + ".in_layers.0", x, 1e-5)))
        h = h + self.lin(p + ".emb_layers.1", F.silu(emb))[:, :, None, None]
        h = self.conv(p + ".out_layers.3", F.silu(self.gn(p + ".out_layers.0", h, 1e-5)))
        skip = self.conv(p + ".skip_connection", x) if p + ".skip_connection.weight" in self.w else x
        return skip + h

    def attn(self, p, x, ctx):
        q, k, v = self.lin(p + ".to_q", x), self.lin(p + ".to_k", ctx), self.lin(p + ".to_v", ctx)
        b, n, c = q.shape
        d = c // self.heads
        q, k, v = (t.reshape(b, -1, self.heads, d).transpose(1, 2) for t in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) * d ** -0.5, -1) @ v
        return self.lin(p + ".to_out.0", a.transpose(1, 2).reshape(b, n, c))

    def transformer(self, p, x, ctx):
        b, c, hh, ww = x.shape
        h = self.conv(p + ".proj_in", self.gn(p + ".norm", x, 1e-6)).reshape(b, c, -1).transpose(1, 2)
        t = p + ".transformer_blocks.0"
        n1 = self.ln(t + ".norm1", h)
        h = h + self.attn(t + ".attn1", n1, n1)
        h = h + self.attn(t + ".attn2", self.ln(t + ".norm2", h), ctx)
        a, g = self.lin(t + ".ff.net.0.proj", self.ln(t + ".norm3", h)).chunk(2, -1)
        h = h + self.lin(t + ".ff.net.2", a * F.gelu(g))
        return self.conv(p + ".proj_out", h.transpose(1, 2).reshape(b, c, hh, ww)) + x

    def forward(self, x, t, ctx):
        half = 160
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / half)
        args = t.double()[:, None] * freqs[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], 1).float()
        emb = self.lin("time_embed.2", F.silu(self.lin("time_embed.0", emb)))
        h = self.conv("input_blocks.0.0", x)
        hs, i = [h], 1
        for lv in range(self.levels):
            for _ in range(self.nrb):
                h = self.res("input_blocks.%d.0" % i, h, emb)
                if self.depth[lv]:
                    h = self.transformer("input_blocks.%d.1" % i, h, ctx)
                hs.append(h)
                i += 1
            if lv + 1 < self.levels:
                h = self.conv("input_blocks.%d.0.op" % i, h, 2)
                hs.append(h)
                i += 1
        h = self.res("middle_block.0", h, emb)
        h = self.transformer("middle_block.1", h, ctx)
        h = self.res("middle_block.2", h, emb)
        o = 0
        for lv in reversed(range(self.levels)):
            for r in range(self.nrb + 1):
                p = "output_blocks.%d" % o
                h = self.res(p + ".0", torch.cat([h, hs.pop()], 1), emb)
                sub = 1
                if self.depth[lv]:
                    h = self.transformer("%s.%d" % (p, sub), h, ctx)
                    sub += 1
                if lv > 0 and r == self.nrb:
                    h = self.conv("%s.%d.conv" % (p, sub), F.interpolate(h, scale_factor=2.0, mode="nearest"))
                o += 1
        return self.conv("out.2", F.silu(self.gn("out.0", h, 1e-5)))

def main():
    args = sys.argv[1:]
    path, threads, sizes = args[0], None, [256, 512]
    if "--threads" in args:
        threads = int(args[args.index("--threads") + 1])
        torch.set_num_threads(threads)
    if "--sizes" in args:
        sizes = [int(s) for s in args[args.index("--sizes") + 1].split(",")]
    print("python torch %s, threads %d" % (torch.__version__, torch.get_num_threads()))
    net = UNet(load(path))
    torch.manual_seed(0)
    ctx1 = torch.randn(1, 77, 768)
    with torch.no_grad():
        for px in sizes:
            for b in (1, 2):
                x = torch.randn(b, 4, px // 8, px // 8)
                t = torch.full((b,), 500.0)
                ctx = ctx1.expand(b, 77, 768).contiguous()
                net.forward(x, t, ctx)
                best = 1e30
                for _ in range(2):
                    t0 = time.perf_counter()
                    net.forward(x, t, ctx)
                    best = min(best, time.perf_counter() - t0)
                print("unet %dx%d batch %d     %8.3f s" % (px, px, b, best))

if __name__ == "__main__":
    main()
