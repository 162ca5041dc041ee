"""VeerNet: a small U-Net that segments curve ink in a scanned log track.

Residual encoder (4 poolings), self-attention at the bottleneck, nearest-upsampling decoder with
skip connections; 1 gray channel in (ink = 1, paper = 0), 1 sigmoid channel out. H and W must be
multiples of 16. Only ops that tract-onnx runs: Conv (BatchNorm folded by the exporter), Relu,
MaxPool, Resize (nearest x2), Concat, Add, MatMul, Softmax, Sigmoid, Reshape, Transpose.
Attention is written out (qkv Linear, reshape with -1) so the token count stays dynamic.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = (8, 16, 32, 64)
BOTTLENECK = 128
HEADS = 4


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k=3, relu=True):
        layers = [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = ConvBN(cin, cout)
        self.c2 = ConvBN(cout, cout, relu=False)
        self.skip = nn.Identity() if cin == cout else ConvBN(cin, cout, k=1, relu=False)

    def forward(self, x):
        return F.relu(self.c2(self.c1(x)) + self.skip(x))


class Attention(nn.Module):
    """Multi-head self-attention over all positions of a [B, C, H, W] map (residual)."""

    def __init__(self, c, heads=HEADS):
        super().__init__()
        self.h, self.dh = heads, c // heads
        self.norm = nn.BatchNorm2d(c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.scale = self.dh ** -0.5

    def forward(self, x):
        b, c, hh, ww = x.shape
        t = self.norm(x).flatten(2).transpose(1, 2)  # B, N, C
        qkv = self.qkv(t).reshape(b, -1, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)  # 3, B, h, N, dh
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(torch.matmul(q * self.scale, k.transpose(-2, -1)), dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).reshape(b, -1, c)  # B, N, C
        o = self.proj(o).transpose(1, 2).reshape(b, c, hh, ww)
        return x + o


class VeerNet(nn.Module):
    def __init__(self, ch=CHANNELS, cb=BOTTLENECK):
        super().__init__()
        c0, c1, c2, c3 = ch
        self.stem = nn.Sequential(ConvBN(1, c0), ResBlock(c0, c0))
        self.e1 = ResBlock(c0, c1)
        self.e2 = ResBlock(c1, c2)
        self.e3 = ResBlock(c2, c3)
        self.b1 = ResBlock(c3, cb)
        self.att = Attention(cb)
        self.b2 = ResBlock(cb, cb)
        self.d3 = ResBlock(cb + c3, c3)
        self.d2 = ResBlock(c3 + c2, c2)
        self.d1 = ResBlock(c2 + c1, c1)
        self.d0 = ResBlock(c1 + c0, c0)
        self.head = nn.Conv2d(c0, 1, 1)

    @staticmethod
    def up(x):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")

    def logits(self, x):
        s0 = self.stem(x)
        s1 = self.e1(F.max_pool2d(s0, 2))
        s2 = self.e2(F.max_pool2d(s1, 2))
        s3 = self.e3(F.max_pool2d(s2, 2))
        b = self.b2(self.att(self.b1(F.max_pool2d(s3, 2))))
        y = self.d3(torch.cat([self.up(b), s3], 1))
        y = self.d2(torch.cat([self.up(y), s2], 1))
        y = self.d1(torch.cat([self.up(y), s1], 1))
        y = self.d0(torch.cat([self.up(y), s0], 1))
        return self.head(y)

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def macs_per_pixel(m, h=256, w=256):
    """Multiply-accumulates per input pixel (conv + linear + attention matmuls)."""
    total = 0

    def conv_hook(mod, inp, out):
        nonlocal total
        total += out.numel() * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1] // mod.groups

    def lin_hook(mod, inp, out):
        nonlocal total
        total += out.numel() * mod.in_features

    hooks = []
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(lin_hook))
    m.eval()
    with torch.no_grad():
        m(torch.zeros(1, 1, h, w))
    for hk in hooks:
        hk.remove()
    n = (h // 16) * (w // 16)
    total += 2 * n * n * BOTTLENECK  # QK^T and AV
    return total / (h * w)


if __name__ == "__main__":
    m = VeerNet()
    print(f"params {count_params(m):,}  MACs/px {macs_per_pixel(m):,.0f} (256x256)  "
          f"{macs_per_pixel(m, 512, 256):,.0f} (512x256)")
