#!/usr/bin/python3
"""PyTorch CPU twin of scripts/bench-train.ts: the same networks (the trainer's convnet and the
CIFAR ResNet-32), batch, SGD (momentum 0.9, weight decay 5e-4), CE or the GPaCo step (--loss
gpaco: two views in separate passes, projector Linear-ReLU-Linear-ReLU-Linear, L2 normalised,
queue of 1024 keys, the parametric-contrastive loss of docs/method.md), warm-up then
the median of the timed steps (forward, backward, update, loss read). Prints one line: RESULT {json}.
Run with Debian's interpreter: /usr/bin/python3 (python3-torch)."""
import argparse, json, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    """3 x (conv3x3 - BN - ReLU - 2x2 avg pool), widths w, 2w, 4w; global avg pool; linear."""

    def __init__(self, cin, width, classes):
        super().__init__()
        ws = [width, width * 2, width * 4]
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        for w in ws:
            self.convs.append(nn.Conv2d(cin, w, 3, 1, 1, bias=False))
            self.bns.append(nn.BatchNorm2d(w))
            cin = w
        self.fc = nn.Linear(cin, classes)

    def features(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = F.relu(bn(conv(x)))
            if x.shape[2] >= 2 and x.shape[3] >= 2:
                x = F.avg_pool2d(x, 2)
        return x.mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = (planes - cin) // 2
        self.short = stride != 1 or cin != planes

    def forward(self, x):
        o = F.relu(self.bn1(self.conv1(x)))
        o = self.bn2(self.conv2(o))
        sc = x
        if self.short:  # option A: x[:, :, ::2, ::2] + zero channel pad
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(o + sc)


class ResNet32(nn.Module):
    def __init__(self, cin, classes, n=5):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, c = [], 16
        for planes, s0 in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(BasicBlock(c, planes, s0 if i == 0 else 1))
                c = planes
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def features(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return self.layers(h).mean((2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def parametric_contrastive_loss(anchors, ya, contrast, yc, z, log_prior, alpha, tau):
    """The loss of docs/method.md with beta = gamma = 1, no smoothing; self(a) = a."""
    A, C = z.shape
    N = contrast.shape[0]
    u = z + log_prior
    s = anchors @ contrast.t() / tau
    logits = torch.cat([u, s], 1)
    m = logits.max(1, keepdim=True).values.detach()
    not_self = torch.ones(A, N)
    not_self[torch.arange(A), torch.arange(A)] = 0
    den_w = torch.cat([torch.ones(A, C), not_self], 1)
    same = (ya[:, None] == yc[None, :]).float() * not_self
    pos_w = torch.cat([F.one_hot(ya, C).float(), alpha * same], 1)
    shifted = logits - m
    log_den = torch.log((torch.exp(shifted) * den_w).sum(1, keepdim=True) + 1e-12)
    return (-(pos_w * (shifted - log_den)).sum(1) / pos_w.sum(1)).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='convnet')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--width', type=int, default=32)
    ap.add_argument('--size', type=int, default=28)
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--loss', default='ce')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = ConvNet(a.channels, a.width, a.classes) if a.model == 'convnet' else ResNet32(a.channels, a.classes)
    params = sum(p.numel() for p in net.parameters())
    gpaco = a.loss == 'gpaco'
    feat = 64 if a.model == 'resnet32' else a.width * 4
    d = 32 if a.model == 'resnet32' else 64
    proj = nn.Sequential(nn.Linear(feat, feat), nn.ReLU(), nn.Linear(feat, feat), nn.ReLU(), nn.Linear(feat, d))
    trained = list(net.parameters()) + (list(proj.parameters()) if gpaco else [])
    opt = torch.optim.SGD(trained, lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(a.batch, a.channels, a.size, a.size)
    x2 = torch.rand(a.batch, a.channels, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    K = 1024
    queue, queue_y, filled, ptr = torch.zeros(K, d), torch.zeros(K, dtype=torch.long), 0, 0
    counts = torch.arange(a.classes, 0, -1).float()
    log_prior = torch.log(counts / counts.sum() + 1e-9)
    net.train()
    times, loss = [], float('nan')
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        if gpaco:
            h1, h2 = net.features(x), net.features(x2)  # two passes: BN statistics per view
            q, k = F.normalize(proj(h1), dim=1), F.normalize(proj(h2), dim=1)
            z = torch.cat([net.fc(h1), net.fc(h2)])
            contrast = torch.cat([q, k, queue[:filled]])
            yc = torch.cat([y, y, queue_y[:filled]])
            out = parametric_contrastive_loss(torch.cat([q, k]), torch.cat([y, y]), contrast, yc, z, log_prior, 0.01, 0.07)
        else:
            out = F.cross_entropy(net(x), y)
        out.backward()
        opt.step()
        if gpaco:
            with torch.no_grad():
                idx = (torch.arange(a.batch) + ptr) % K
                queue[idx] = k.detach()
                queue_y[idx] = y
                ptr, filled = (ptr + a.batch) % K, min(K, filled + a.batch)
        loss = out.item()
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
    med = statistics.median(times)
    print('RESULT ' + json.dumps({
        'impl': f'pytorch-{torch.__version__}-{a.threads}thr', 'model': a.model, 'batch': a.batch, 'params': params + (sum(p.numel() for p in proj.parameters()) if gpaco else 0),
        'stepSeconds': [round(t, 4) for t in times], 'medianStepSeconds': round(med, 4),
        'imagesPerSecond': round(a.batch / med, 1), 'peakRssMiB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        'finalLoss': round(loss, 4),
    }))


if __name__ == '__main__':
    main()
