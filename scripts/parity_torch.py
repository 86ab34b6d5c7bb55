#!/usr/bin/python3
"""PyTorch CPU twin of GPaCo Lab's trainer for `npm run bench:parity` (scripts/parity/lockstep.ts).

It trains the trainer's conv net (3 x conv3x3 - BN - ReLU - 2x2 avg pool, global avg pool, biased
linear; BN momentum 0.1, eps 1e-5, unbiased running variance), the GPaCo projection head
(Linear-ReLU-Linear-ReLU-Linear, L2 normalised), SGD with momentum and L2 weight decay on every
parameter, and the parametric-contrastive loss of docs/method.md written here from its formula
(CE and Balanced Softmax are its alpha = gamma = 0 reduction). It owns no randomness: the initial
weights, every step's augmented views (our RNG's data order and augmentation), the labels, the
learning rate and the loss hyper-parameters all arrive from the TypeScript side.

Protocol on stdin / stdout, one JSON line per message, raw little-endian arrays after it:
  init  {arch, width, inputShape, classes, method, hp, logPrior, queueSize, projectionDim, views,
         momentum, weightDecay, threads, tensors: [{name, shape}]}  + float32 values   -> {ok}
  step  {n, views, lr}  + views x n images (float32 NHWC) + n int32 labels            -> {loss}
  eval  {n}  + n images (float32 NHWC)                            -> {n} + n x classes float32 logits
  quit
Run with Debian's interpreter: /usr/bin/python3 (python3-torch)."""
import json, sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, cin, width, classes):
        super().__init__()
        self.convs, self.bns = nn.ModuleList(), nn.ModuleList()
        for w in (width, width * 2, width * 4):
            self.convs.append(nn.Conv2d(cin, w, 3, 1, 1, bias=False))
            self.bns.append(nn.BatchNorm2d(w, eps=1e-5, momentum=0.1))
            cin = w
        self.fc = nn.Linear(cin, classes)
        self.feature_size = cin

    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = F.relu(bn(conv(x)))
            if x.shape[2] >= 2 and x.shape[3] >= 2:
                x = F.avg_pool2d(x, 2)
        h = x.mean((2, 3))
        return h, self.fc(h)


def gpaco_head(f, d):
    return nn.Sequential(nn.Linear(f, f), nn.ReLU(), nn.Linear(f, f), nn.ReLU(), nn.Linear(f, d))


def named_tensors(net, head):
    """Our checkpoint names -> (torch tensor, how our layout maps onto it)."""
    out = {}
    for i, (conv, bn) in enumerate(zip(net.convs, net.bns)):
        s = f'net/stage{i + 1}'
        out[f'{s}.conv.w'] = (conv.weight, 'hwio')
        out[f'{s}.bn.gamma'] = (bn.weight, 'same')
        out[f'{s}.bn.beta'] = (bn.bias, 'same')
        out[f'{s}.bn.runningMean'] = (bn.running_mean, 'same')
        out[f'{s}.bn.runningVar'] = (bn.running_var, 'same')
    out['net/classifier.w'] = (net.fc.weight, 'io')
    out['net/classifier.b'] = (net.fc.bias, 'same')
    if head is not None:
        for j, layer in enumerate(m for m in head if isinstance(m, nn.Linear)):
            out[f'method/head.fc{j + 1}.w'] = (layer.weight, 'io')
            out[f'method/head.fc{j + 1}.b'] = (layer.bias, 'same')
    return out


def load_weights(named, specs, raw):
    off = 0
    seen = set()
    for spec in specs:
        name, shape = spec['name'], spec['shape']
        n = 1
        for s in shape:
            n *= s
        values = torch.frombuffer(bytearray(raw[off:off + 4 * n]), dtype=torch.float32).reshape(shape)
        off += 4 * n
        if name not in named:
            raise SystemExit(f'parity twin: no tensor named {name} on the PyTorch side')
        t, layout = named[name]
        if layout == 'hwio':
            values = values.permute(3, 2, 0, 1)
        elif layout == 'io':
            values = values.t()
        if tuple(values.shape) != tuple(t.shape):
            raise SystemExit(f'parity twin: {name} has shape {list(values.shape)}, PyTorch expects {list(t.shape)}')
        with torch.no_grad():
            t.copy_(values.contiguous())
        seen.add(name)
    missing = set(named) - seen
    if missing:
        raise SystemExit(f'parity twin: no initial values for {sorted(missing)}')


def core_loss(z, labels, hp, log_prior, contrast):
    """The parametric-contrastive loss: mean_a -(tau/tau_b) sum_k rho_ak (l_ak - m_a - log D_a) / sum_k rho_ak."""
    A, C = z.shape
    u = z + log_prior if hp['usePrior'] else z
    if hp['supt'] != 1:
        u = u / hp['supt']
    one_hot = F.one_hot(labels, C).float()
    pos_c = one_hot
    if hp['labelSmoothing'] > 0:
        ls = hp['labelSmoothing']
        pos_c = one_hot * (1 - ls) + (1 - one_hot) * (ls / max(C - 1, 1))
    pos_c = pos_c * hp['beta']
    scale = hp['temperature'] / hp['baseTemperature']
    if contrast is None:
        m = u.max(1, keepdim=True).values.detach()
        shifted = u - m
        log_d = torch.log(torch.exp(shifted).sum(1, keepdim=True) + hp['epsDen'])
        per = -scale * (pos_c * (shifted - log_d)).sum(1) / pos_c.sum(1)
        return per.mean()
    anchors, feats, feat_labels = contrast
    N = feats.shape[0]
    s = anchors @ feats.t() / hp['temperature']
    not_self = torch.ones(A, N)
    not_self[torch.arange(A), torch.arange(A)] = 0
    same = (labels[:, None] == feat_labels[None, :]).float() * not_self
    m = torch.maximum(u.max(1, keepdim=True).values, s.max(1, keepdim=True).values).detach()
    su, ss = u - m, s - m
    den = torch.exp(su).sum(1, keepdim=True) + hp['gamma'] * (torch.exp(ss) * not_self).sum(1, keepdim=True)
    log_d = torch.log(den + hp['epsDen'])
    weighted = (pos_c * (su - log_d)).sum(1) + hp['alpha'] * (same * (ss - log_d)).sum(1)
    per = -scale * weighted / (pos_c.sum(1) + hp['alpha'] * same.sum(1))
    return per.mean()


class Twin:
    def __init__(self, cfg, raw):
        torch.set_num_threads(cfg['threads'])
        h, w, c = cfg['inputShape']
        self.shape = (h, w, c)
        self.method = cfg['method']
        self.hp = cfg['hp']
        self.net = ConvNet(c, cfg['width'], cfg['classes'])
        self.head = gpaco_head(self.net.feature_size, cfg['projectionDim']) if self.method == 'gpaco' else None
        load_weights(named_tensors(self.net, self.head), cfg['tensors'], raw)
        self.log_prior = torch.tensor(cfg['logPrior'], dtype=torch.float32)
        params = list(self.net.parameters()) + (list(self.head.parameters()) if self.head is not None else [])
        self.opt = torch.optim.SGD(params, lr=0.0, momentum=cfg['momentum'], weight_decay=cfg['weightDecay'])
        self.views = cfg['views']
        K, d = cfg['queueSize'], cfg['projectionDim']
        self.queue, self.queue_y, self.filled, self.ptr, self.K = torch.zeros(K, d), torch.zeros(K, dtype=torch.long), 0, 0, K

    def images(self, raw, n):
        h, w, c = self.shape
        return torch.frombuffer(bytearray(raw), dtype=torch.float32).reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()

    def step(self, xs, y, lr):
        for g in self.opt.param_groups:
            g['lr'] = lr
        self.net.train()
        self.opt.zero_grad()
        if self.method == 'gpaco':
            es, zs = [], []
            for x in xs:  # one pass per view: BN statistics per view, as our trainer
                h, z = self.net(x)
                es.append(F.normalize(self.head(h), dim=1, eps=1e-12))
                zs.append(z)
            if self.views == 2:
                anchors, ya, z = torch.cat(es), torch.cat([y, y]), torch.cat(zs)
                feats, fy = torch.cat([es[0], es[1], self.queue[:self.filled]]), torch.cat([y, y, self.queue_y[:self.filled]])
            else:
                anchors, ya, z = es[0], y, zs[0]
                feats, fy = torch.cat([es[0], self.queue[:self.filled]]), torch.cat([y, self.queue_y[:self.filled]])
            loss = core_loss(z, ya, self.hp, self.log_prior, (anchors, feats, fy))
            key = es[-1].detach()
        else:
            _, z = self.net(xs[0])
            loss = core_loss(z, y, self.hp, self.log_prior, None)
            key = None
        loss.backward()
        self.opt.step()
        if key is not None:
            for i in range(key.shape[0]):
                self.queue[self.ptr] = key[i]
                self.queue_y[self.ptr] = y[i]
                self.ptr = (self.ptr + 1) % self.K
                self.filled = min(self.K, self.filled + 1)
        return loss.item()

    def evaluate(self, x):
        self.net.eval()
        with torch.no_grad():
            return self.net(x)[1]


def read_exact(n):
    buf = sys.stdin.buffer.read(n)
    if len(buf) != n:
        raise SystemExit(f'parity twin: expected {n} bytes, got {len(buf)}')
    return buf


def reply(obj, payload=b''):
    sys.stdout.buffer.write((json.dumps(obj) + '\n').encode())
    if payload:
        sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()


def main():
    twin = None
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        op = msg['op']
        if op == 'init':
            total = sum(4 * _prod(t['shape']) for t in msg['tensors'])
            twin = Twin(msg, read_exact(total))
            reply({'ok': True, 'torch': torch.__version__})
        elif op == 'step':
            n, v = msg['n'], msg['views']
            per = 4 * n * _prod(twin.shape)
            xs = [twin.images(read_exact(per), n) for _ in range(v)]
            y = torch.frombuffer(bytearray(read_exact(4 * n)), dtype=torch.int32).long()
            reply({'loss': twin.step(xs, y, msg['lr'])})
        elif op == 'eval':
            n = msg['n']
            logits = twin.evaluate(twin.images(read_exact(4 * n * _prod(twin.shape)), n))
            reply({'n': n}, logits.contiguous().numpy().astype('<f4').tobytes() if _has_numpy() else _to_bytes(logits))
        elif op == 'quit':
            return
        else:
            raise SystemExit(f'parity twin: unknown op {op}')


def _prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def _has_numpy():
    try:
        import numpy  # noqa: F401
        return True
    except ImportError:
        return False


def _to_bytes(t):
    import struct
    flat = t.contiguous().view(-1).tolist()
    return struct.pack(f'<{len(flat)}f', *flat)


if __name__ == '__main__':
    main()
