"""The reference to beat: the same triplet training step in PyTorch Python.

ResNet-18 (torchvision architecture, 128-d head), 32 triplets of 256 px random images per step,
MarginRankingLoss(margin=5) on L2 distances, Adam(amsgrad, lr 5e-4), as in MuseCL's reference
training. Run with Debian's interpreter so it uses the same LibTorch 1.13 as the plugin:
    /usr/bin/python3 bench/pytorch_triplet.py [steps] [threads] [cpu|cuda] [batch]
"""
import sys
import time

import torch
import torchvision

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 4
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
if threads > 0:
    torch.set_num_threads(threads)
torch.manual_seed(0)

model = torchvision.models.resnet18()
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
print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), device {device}")
print(f"same work (PyTorch Python): {3 * batch * steps / seconds:.1f} images/s ({seconds / steps:.2f} s per step)")
