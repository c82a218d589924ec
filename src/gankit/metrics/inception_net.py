"""Inception-v3 as the FID reference uses it (Szegedy et al. 2016; Heusel et al. 2017), in plain torch, with the
module names of the standard pt_inception-2015-12-05 weights file: the TensorFlow graph's variant, whose
pools in the mixed blocks ignore padding and whose last block max-pools (as pytorch-fid documents)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NUM_FEATURES = 2048   # pool3 features: what FD, KID and precision / recall compare
NUM_LOGITS = 1008     # the 2015 graph's classes (1000 ImageNet classes and 8 unused)
INPUT_SIZE = 299


class BasicConv2d(nn.Module):
    """conv (no bias) -> BatchNorm (eps 1e-3, TensorFlow's) -> ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))

    @torch.no_grad()
    def fold_batchnorm(self) -> None:
        """Inference only: BN(conv(x)) = (gamma / sqrt(var + eps)) (W * x - mean) + beta is one convolution with
        weight W gamma / sqrt(var + eps) and bias beta - mean gamma / sqrt(var + eps) (computed in float64)."""
        if isinstance(self.bn, nn.Identity):
            return
        scale = self.bn.weight.double() / (self.bn.running_var.double() + self.bn.eps).sqrt()
        old = self.conv
        conv = nn.Conv2d(old.in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=True)
        conv.weight.copy_((old.weight.double() * scale.view(-1, 1, 1, 1)).to(old.weight.dtype))
        conv.bias.copy_((self.bn.bias.double() - self.bn.running_mean.double() * scale).to(old.weight.dtype))
        self.conv, self.bn = conv.requires_grad_(False), nn.Identity()


def avg_pool_same(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-1 average that ignores the zero padding (TensorFlow's 'SAME' average pool)."""
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, c_in: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(c_in, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = BasicConv2d(c_in, 48, 1), BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(c_in, pool_features, 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(avg_pool_same(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, c_in: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(c_in, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class InceptionC(nn.Module):
    def __init__(self, c_in: int, c7: int):
        super().__init__()
        row, col = dict(kernel_size=(1, 7), padding=(0, 3)), dict(kernel_size=(7, 1), padding=(3, 0))
        self.branch1x1 = BasicConv2d(c_in, 192, 1)
        self.branch7x7_1, self.branch7x7_2 = BasicConv2d(c_in, c7, 1), BasicConv2d(c7, c7, **row)
        self.branch7x7_3 = BasicConv2d(c7, 192, **col)
        self.branch7x7dbl_1, self.branch7x7dbl_2 = BasicConv2d(c_in, c7, 1), BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_3, self.branch7x7dbl_4 = BasicConv2d(c7, c7, **row), BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, **row)
        self.branch_pool = BasicConv2d(c_in, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(avg_pool_same(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, c_in: int):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = BasicConv2d(c_in, 192, 1), BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(c_in, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(nn.Module):
    """The last blocks; the final one (max_pool) max-pools its pool branch, as the 2015 graph does."""

    def __init__(self, c_in: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(c_in, 320, 1)
        self.branch3x3_1 = BasicConv2d(c_in, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = BasicConv2d(c_in, 448, 1), BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(c_in, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, 1, 1) if self.max_pool else avg_pool_same(x)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(b3), self.branch3x3_2b(b3),
                          self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d), self.branch_pool(pooled)], 1)


RESIZES = ("pytorch-fid", "tf1")  # how images reach 299x299 and [-1, 1]: see FIDInceptionV3.preprocess


def tf1_resize_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    """TensorFlow 1's resize_bilinear (align_corners False, no half-pixel centres): output pixel j samples
    input position j * in / out, the last neighbour clamped; as separable interpolation matrices."""
    def weights(n_in: int) -> torch.Tensor:
        src = torch.arange(size, dtype=torch.float64) * (n_in / size)
        low = src.floor().long().clamp(max=n_in - 1)
        high = (low + 1).clamp(max=n_in - 1)
        frac = (src - low).to(x.dtype)
        w = torch.zeros(size, n_in, dtype=x.dtype)
        w[torch.arange(size), low] += 1 - frac
        w[torch.arange(size), high] += frac
        return w

    return weights(x.shape[-2]) @ x @ weights(x.shape[-1]).T


class FIDInceptionV3(nn.Module):
    """uint8 images [N, 3, H, W] -> (pool3 features [N, 2048], logits [N, 1008] or None for weights without
    the output layer). `resize` 'pytorch-fid': bilinear to 299 (align_corners False), then 2 x / 255 - 1;
    'tf1': TensorFlow 1's bilinear resize, then (x - 128) / 128, as the TF FID code, StyleGAN2-ADA / StyleGAN3
    and clean-fid's legacy_tensorflow mode feed the graph."""

    def __init__(self, input_size: int = INPUT_SIZE, resize: str = "pytorch-fid"):
        super().__init__()
        self.input_size = input_size  # 299 for real measurements; tests may shrink it (>= 75)
        self.resize = resize
        self.num_features = NUM_FEATURES
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = InceptionA(192, 32), InceptionA(256, 64), InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b, self.Mixed_6c = InceptionC(768, 128), InceptionC(768, 160)
        self.Mixed_6d, self.Mixed_6e = InceptionC(768, 160), InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b, self.Mixed_7c = InceptionE(1280, max_pool=False), InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(NUM_FEATURES, NUM_LOGITS)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [N, 3, H, W] -> float [N, 3, 299, 299] as the network was trained to see them."""
        if self.resize == "tf1":
            return (tf1_resize_bilinear(images.float(), self.input_size) - 128.0) / 128.0
        x = images.float() / 255.0
        x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        return 2.0 * x - 1.0

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        features = self.pool_features(self.preprocess(images))
        return features, (self.fc(features) if self.fc is not None else None)

    def pool_features(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed [N, 3, 299, 299] -> pool3 features [N, 2048]."""
        x = x.contiguous(memory_format=torch.channels_last)  # as the folded weights are laid out
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return x.mean((2, 3))  # [N, 2048]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [N, 3, H, W] -> pool3 features [N, 2048] (the interface torchmetrics' FID takes)."""
        return self.features_and_logits(images)[0]


def load_inception(state: dict[str, torch.Tensor], where: str, resize: str = "pytorch-fid") -> FIDInceptionV3:
    """The network with `state` loaded; keys must be the standard file's (BatchNorm's num_batches_tracked,
    absent from older files, may be missing; without fc.* the network gives features only). Raises
    ValueError naming a missing or unexpected key."""
    model = FIDInceptionV3(resize=resize)
    if not any(k.startswith("fc.") for k in state):
        model.fc = None
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        what = f"no tensor {missing[0]}" if missing else f"unexpected tensor {unexpected[0]}"
        raise ValueError(f"{where}: not the pt_inception-2015-12-05 layout ({what}; "
                         f"{len(missing)} missing, {len(unexpected)} unexpected)")
    for key, value in own.items():
        if key in state and state[key].shape != value.shape:
            raise ValueError(f"{where}: {key} has shape {list(state[key].shape)}, expected {list(value.shape)}")
    model.load_state_dict({k: state.get(k, v) for k, v in own.items()})
    return fold_batchnorm(model.eval().requires_grad_(False))


def fold_batchnorm(model: FIDInceptionV3) -> FIDInceptionV3:
    """The network for inference: every conv + BatchNorm one biased convolution (the same function up to float
    rounding, about half the memory passes), its weights in channels-last layout (oneDNN's fast path on CPUs)."""
    for module in model.modules():
        if isinstance(module, BasicConv2d):
            module.fold_batchnorm()
    return model.to(memory_format=torch.channels_last)
