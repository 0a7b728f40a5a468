"""GPEN's building blocks in plain PyTorch, named as in StyleGAN2/GPEN so attribute names are checkpoint keys.

Nothing here is compiled: ``upfirdn2d`` is a depthwise conv and the fused leaky ReLU two elementwise ops.
``ModulatedConv2d`` runs in the batched form (modulate the input, convolve with the one shared weight,
demodulate the output), which lets cuDNN batch faces normally; the reference per-sample grouped-conv
form stays available (``grouped = True``) as the baseline and as a second opinion in tests.

Under fp16/bf16 the latent path (mapping MLP, ``final_linear``, every ``modulation``) is meant to stay in
fp32 (see ``GPEN.cast``) and the demodulation sums are taken in fp32: both are tiny, and an error there
reaches every pixel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

BLUR_KERNEL = (1, 3, 3, 1)
SQRT2 = math.sqrt(2)
EPS = 1e-8


def make_kernel(taps: Sequence[float]) -> Tensor:
    """The separable FIR filter as a 4x4 matrix that sums to 1 (outer product of the taps)."""
    k = torch.tensor(taps, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x: Tensor, kernel: Tensor, up: int = 1, pad: tuple[int, int] = (0, 0)) -> Tensor:
    """Zero-insert ``up``-fold, pad by ``pad`` (before, after) on both axes, then filter each channel."""
    batch, channels, height, width = x.shape
    if up > 1:
        spread = x.new_zeros(batch, channels, height * up, width * up)
        spread[:, :, ::up, ::up] = x
        x = spread
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    # A true convolution, as the reference's upfirdn2d (the flip is a no-op on the symmetric kernel).
    weight = kernel.flip(0, 1).to(x.dtype).expand(channels, 1, *kernel.shape)
    return F.conv2d(x, weight, groups=channels)


def _wide(t: Tensor) -> Tensor:
    """At least fp32 (fp64 stays fp64), for sums that half precision would round badly."""
    return t if t.dtype == torch.float64 else t.float()


def fused_leaky_relu(x: Tensor, bias: Tensor, inplace: bool = False) -> Tensor:
    """Bias, leaky ReLU (slope 0.2), then gain sqrt(2) to keep the activations' variance.

    Without autograd, the work happens in place (on ``x`` itself if ``inplace``, else on one copy): a
    full-resolution map less at the memory peak.
    """
    bias = bias.view((1, -1) + (1,) * (x.ndim - 2))
    if x.requires_grad or bias.requires_grad:
        return F.leaky_relu(x + bias, 0.2) * SQRT2
    out = x.add_(bias) if inplace else x + bias
    return F.leaky_relu_(out, 0.2).mul_(SQRT2)


class PixelNorm(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + EPS)


class FusedLeakyReLU(nn.Module):
    """Per-channel bias + scaled leaky ReLU; ``inplace`` where its input is a temporary nobody else holds."""

    def __init__(self, channels: int, inplace: bool = False) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return fused_leaky_relu(x, self.bias, self.inplace)


class Blur(nn.Module):
    """The FIR low-pass after a transposed conv or before a strided one (anti-aliasing)."""

    def __init__(self, pad: tuple[int, int], upsample_factor: int = 1) -> None:
        super().__init__()
        # Stored in the checkpoints, so a buffer under this name; scaled by factor**2 after upsampling.
        self.register_buffer("kernel", make_kernel(BLUR_KERNEL) * upsample_factor**2)
        self.pad = pad

    def forward(self, x: Tensor) -> Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """Doubles the ToRGB skip image: zero-insert, pad (2, 1), blur with the kernel times 4."""

    def __init__(self, factor: int = 2) -> None:
        super().__init__()
        self.register_buffer("kernel", make_kernel(BLUR_KERNEL) * factor**2)
        self.factor = factor
        taps = len(BLUR_KERNEL) - factor
        self.pad = ((taps + 1) // 2 + factor - 1, taps // 2)

    def forward(self, x: Tensor) -> Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class EqualConv2d(nn.Module):
    """Conv with weights stored N(0,1) and scaled by 1/sqrt(fan_in) at run time (equalized learning rate)."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channel, in_channel, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channel)) if bias else None
        self.scale = 1 / math.sqrt(in_channel * kernel_size**2)
        self.stride = stride
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate; ``lr_mul`` 0.01 in the mapping MLP.

    It computes in its own weight's dtype, so the latent path can stay fp32 inside a half-precision net.
    """

    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activation: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        x = x.to(self.weight.dtype)
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv2d(nn.Module):
    """StyleGAN2's style-modulated conv: per-sample input-channel scales s, optional demodulation."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, style_dim: int,
                 demodulate: bool = True, upsample: bool = False) -> None:
        super().__init__()
        # Registration order fixes the checkpoint's key order: weight, blur.kernel, modulation.*.
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        if upsample:
            self.blur = Blur(pad=(1, 1), upsample_factor=2)
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1.0)
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.kernel_size = kernel_size
        self.scale = 1 / math.sqrt(in_channel * kernel_size**2)
        self.demodulate = demodulate
        self.upsample = upsample
        self.grouped = False  # True: the reference per-sample grouped conv (slow; the baseline)

    def forward(self, x: Tensor, style: Tensor) -> Tensor:
        s = self.modulation(style)
        if self.grouped:
            return self._grouped(x, s)
        return self._batched(x, s)

    def _demodulation(self, weight: Tensor, s: Tensor) -> Tensor:
        """d[b, o] = rsqrt(sum_i,k (weight[o,i,k] * s[b,i])^2 + eps), summed in fp32."""
        squares = _wide(weight).pow(2).sum(dim=(2, 3))
        return torch.rsqrt(_wide(s).pow(2) @ squares.t() + EPS)

    def _batched(self, x: Tensor, s: Tensor) -> Tensor:
        # The equalized-lr scale rides on s, so the (large) weight is used as stored, without a copy.
        weight, s = self.weight[0], s * self.scale
        if self.demodulate:
            d = self._demodulation(weight, s)
            # conv(x * s*c) * (d/c) is exact for any c > 0; c = mean d keeps the un-demodulated
            # intermediate at the output's scale, so fp16 does not overflow on a large style.
            c = d.mean(dim=1, keepdim=True)
            s, d = s * c, d / c
        x = x * s.to(x.dtype)[:, :, None, None]
        if self.upsample:
            out = self.blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))
        else:
            out = F.conv2d(x, weight, padding=self.kernel_size // 2)
        if self.demodulate:
            d = d.to(out.dtype)[:, :, None, None]
            out = out * d if out.requires_grad else out.mul_(d)
        return out

    def _grouped(self, x: Tensor, s: Tensor) -> Tensor:
        """The reference form: fold s (and d) into a weight per sample, run one grouped conv."""
        batch, _, height, width = x.shape
        k = self.kernel_size
        weight = self.scale * _wide(self.weight) * _wide(s)[:, None, :, None, None]
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4)) + EPS)[:, :, None, None, None]
        weight = weight.to(x.dtype)
        x = x.reshape(1, batch * self.in_channel, height, width)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(batch * self.in_channel, self.out_channel, k, k)
            out = F.conv_transpose2d(x, weight, stride=2, groups=batch)
            return self.blur(out.view(batch, self.out_channel, *out.shape[2:]))
        weight = weight.reshape(batch * self.out_channel, self.in_channel, k, k)
        out = F.conv2d(x, weight, padding=k // 2, groups=batch)
        return out.view(batch, self.out_channel, *out.shape[2:])


class NoiseInjection(nn.Module):
    """GPEN's twist on StyleGAN2 noise: the encoder map of this resolution, scaled, concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, image: Tensor, feature: Tensor) -> Tensor:
        return torch.cat((image, self.weight * feature), dim=1)


class ConstantInput(nn.Module):
    def __init__(self, channel: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, size, size))

    def forward(self, batch: int) -> Tensor:
        return self.input.expand(batch, -1, -1, -1)


class StyledConv(nn.Module):
    """Modulated conv, then the encoder skip concatenated, then bias + leaky ReLU over 2*C channels."""

    def __init__(self, in_channel: int, out_channel: int, style_dim: int, upsample: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, out_channel, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channel * 2, inplace=True)  # on the fresh concatenation

    def forward(self, x: Tensor, style: Tensor, feature: Tensor) -> Tensor:
        return self.activate(self.noise(self.conv(x, style), feature))


class ToRGB(nn.Module):
    """A 1x1 modulated conv to RGB without demodulation, plus the upsampled running image."""

    def __init__(self, in_channel: int, style_dim: int, upsample: bool = True) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        if upsample:
            self.upsample = Upsample()
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)

    def forward(self, x: Tensor, style: Tensor, skip: Tensor | None = None) -> Tensor:
        out = self.conv(x, style) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class ConvLayer(nn.Sequential):
    """An encoder stage: 1x1 conv (first) or blur + 3x3 stride-2 conv, then bias + leaky ReLU."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, downsample: bool = False) -> None:
        layers: list[nn.Module] = []
        if downsample:
            taps = len(BLUR_KERNEL) - 2 + kernel_size - 1
            layers.append(Blur(pad=((taps + 1) // 2, taps // 2)))
            layers.append(EqualConv2d(in_channel, out_channel, kernel_size, stride=2, bias=False))
        else:
            layers.append(EqualConv2d(in_channel, out_channel, kernel_size, padding=kernel_size // 2,
                                      bias=False))
        layers.append(FusedLeakyReLU(out_channel, inplace=True))  # on the conv's fresh output
        super().__init__(*layers)
