"""The reference to beat: the same triplet training step in PyTorch Python.

ResNet-18 (torchvision architecture, 128-d head), 32 triplets of 256 px random images per step,
MarginRankingLoss(margin=5) on L2 distances, Adam(amsgrad, lr 5e-4), as in MuseCL's reference
training. Run with Debian's interpreter so it uses the same LibTorch 1.13 as the plugin:
    /usr/bin/python3 bench/pytorch_triplet.py [steps] [threads] [cpu|cuda] [batch]
"""
import os
import sys
import time

import torch
from torch import nn

try:
    import torchvision
except ImportError:  # the GPU machine's wheel may come without it: same architecture, written out
    torchvision = None


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
        self.layers = nn.Sequential(*[nn.Sequential(BasicBlock(a, b, s), BasicBlock(b, b, 1)) for a, b, s in widths])
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 4
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
# 0 means every core, as in the plugin: Debian's LibTorch would otherwise start with one thread.
torch.set_num_threads(threads if threads > 0 else os.cpu_count())
torch.manual_seed(0)

model = torchvision.models.resnet18() if torchvision is not None else ResNet18()
model.fc = torch.nn.Linear(512, 128)
model = model.to(device).train()
criterion = torch.nn.MarginRankingLoss(margin=5.0)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-4, amsgrad=True)
images = torch.rand(3 * batch, 3, 256, 256, device=device)
mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

seconds = 0.0
for step in range(steps + 1):  # step 0 warms up
    started = time.perf_counter()
    e = model((images - mean) / std)
    a, p, n = e[:batch], e[batch:2 * batch], e[2 * batch:]
    d_ap = (a - p).norm(dim=1)
    d_an = (a - n).norm(dim=1)
    loss = criterion(d_an, d_ap, torch.ones_like(d_ap))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    if step > 0:
        seconds += time.perf_counter() - started
print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), device {device}, "
      f"ResNet-18 from {'torchvision' if torchvision is not None else 'this script (no torchvision)'}")
print(f"same work (PyTorch Python): {3 * batch * steps / seconds:.1f} images/s ({seconds / steps:.2f} s per step)")
