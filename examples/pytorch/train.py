#!/usr/bin/env python3
"""A complete, short PyTorch training script that GPaCo Lab launches and watches.

A small conv net on Fashion-MNIST-LT (Debian's dataset-fashion-mnist files) or on synthetic
long-tailed data, trained with Balanced Softmax or a (single-view) GPaCo loss, on CUDA when
available, else on the CPU. Everything is logged through the Python writer (python/gpaco_lab),
so the run shows up in GPaCo Lab's Runs view and dashboard like one of its own.

Launched by GPaCo Lab (experiments/pytorch-example.gpaco.json, trainer.kind "command"), it takes
its settings from the run's config (data, loss, optim, model.width, seed, eval groups). Run by
hand, it makes its own run folder:

    python3 examples/pytorch/train.py --runs-dir runs --epochs 5 --loss balanced-softmax
"""

import argparse
import gzip
import math
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))  # the writer, when not pip-installed

import gpaco_lab  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("this example needs PyTorch: `sudo apt-get install python3-torch` or `pip install torch`", file=sys.stderr)
    sys.exit(2)

FASHION_NAMES = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


# ------------------------------------------------------------------------------------------------
# Data


def read_idx(path):
    """An IDX file (gzip or plain) as a uint8 tensor."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, _, dtype, ndim = struct.unpack(">BBBB", data[:4])
    if dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).reshape(dims)


def idx_file(folder, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError("%s: no %s(.gz); install dataset-fashion-mnist or give --data-path" % (folder, stem))


def long_tail_counts(n_max, imbalance, classes):
    """n_i = floor(n_max * (1/IF)^(i/(C-1))), the papers' exponential profile."""
    return [math.floor(n_max * math.pow(1 / imbalance, i / (classes - 1))) for i in range(classes)]


def long_tail_subset(labels, counts, generator):
    keep = []
    for c, n in enumerate(counts):
        idx = (labels == c).nonzero().flatten()
        keep.append(idx[torch.randperm(len(idx), generator=generator)[:n]])
    return torch.cat(keep)


def fashion_mnist(folder, imbalance, max_per_class, seed):
    x_train = read_idx(idx_file(folder, "train-images-idx3-ubyte"))
    y_train = read_idx(idx_file(folder, "train-labels-idx1-ubyte")).long()
    x_test = read_idx(idx_file(folder, "t10k-images-idx3-ubyte"))
    y_test = read_idx(idx_file(folder, "t10k-labels-idx1-ubyte")).long()
    counts = long_tail_counts(max_per_class or 6000, imbalance, 10)
    keep = long_tail_subset(y_train, counts, torch.Generator().manual_seed(seed))
    to_float = lambda x: (x.float() / 255.0 - 0.286) / 0.353  # noqa: E731
    return FASHION_NAMES, counts, to_float(x_train[keep]).unsqueeze(1), y_train[keep], to_float(x_test).unsqueeze(1), y_test


def synthetic(classes, imbalance, max_per_class, test_per_class, seed):
    """Class-specific blob patterns plus noise: learnable, and long-tailed like the real thing."""
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.randn(classes, 1, 28, 28, generator=g).clamp(-2, 2)
    prototypes = F.avg_pool2d(prototypes, 5, stride=1, padding=2) * 3
    counts = long_tail_counts(max_per_class or 300, imbalance, classes)

    def draw(per_class):
        ys = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(per_class)])
        xs = prototypes[ys] + torch.randn(len(ys), 1, 28, 28, generator=g) * 1.2
        return xs, ys

    x_train, y_train = draw(counts)
    x_test, y_test = draw([test_per_class] * classes)
    return ["class-%d" % c for c in range(classes)], counts, x_train, y_train, x_test, y_test


# ------------------------------------------------------------------------------------------------
# Model and losses


class ConvNet(nn.Module):
    """3 x (conv-BN-ReLU-pool), then a linear classifier (the class centres) and a projection head."""

    def __init__(self, classes, width=16, projection=64):
        super().__init__()
        layers, c_in = [], 1
        for c_out in (width, width * 2, width * 4):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(c_in, classes)
        self.projection = nn.Sequential(nn.Linear(c_in, c_in), nn.ReLU(inplace=True), nn.Linear(c_in, projection))

    def forward(self, x):
        h = self.features(x)
        return self.classifier(h), F.normalize(self.projection(h), dim=1)


def balanced_softmax_loss(logits, labels, log_prior):
    """Cross-entropy of the logits plus the log class prior (Ren et al. 2020)."""
    return F.cross_entropy(logits + log_prior, labels)


def gpaco_loss(logits, features, labels, log_prior, alpha=0.05, beta=1.0, gamma=1.0, temperature=0.2):
    """Single-view GPaCo: each anchor contrasts the class centres (classifier logits with the log
    prior, positive weight beta on its class) and the other samples of the batch (positive weight
    alpha on same-class samples, denominator weight gamma)."""
    b = labels.shape[0]
    centre_logits = logits + log_prior
    sims = features @ features.t() / temperature
    not_self = ~torch.eye(b, dtype=torch.bool, device=labels.device)
    all_logits = torch.cat([centre_logits, sims.masked_fill(~not_self, -1e9)], dim=1)
    # log of the weighted denominator: sum_k w_k exp(z_k), with w = 1 for centres, gamma for samples
    weights = torch.cat([torch.ones_like(centre_logits), torch.full_like(sims, gamma)], dim=1)
    log_denominator = torch.logsumexp(all_logits + torch.log(weights.clamp_min(1e-12)), dim=1, keepdim=True)
    positives = torch.cat([beta * F.one_hot(labels, logits.shape[1]).float(), alpha * ((labels[:, None] == labels[None, :]) & not_self).float()], dim=1)
    return (-(positives * (all_logits - log_denominator)).sum(1) / positives.sum(1)).mean()


# ------------------------------------------------------------------------------------------------
# Training


def settings(args, config):
    """Command-line flags win; else the GPaCo Lab run config; else defaults."""
    data = config.get("data", {}) if isinstance(config, dict) else {}
    optim = config.get("optim", {}) if isinstance(config, dict) else {}
    loss = config.get("loss", {}) if isinstance(config, dict) else {}
    model = config.get("model", {}) if isinstance(config, dict) else {}
    pick = lambda flag, value, default: flag if flag is not None else (value if value is not None else default)  # noqa: E731
    kind = pick(args.data, data.get("kind"), "fashion-mnist")
    loss_kind = pick(args.loss, loss.get("kind"), "gpaco")
    return {
        "data": "synthetic" if kind == "synthetic" else "fashion-mnist",
        "data_path": pick(args.data_path, data.get("path"), DEBIAN_FASHION_MNIST),
        "imbalance": pick(args.imbalance, data.get("imbalanceFactor"), 100),
        "max_per_class": pick(args.max_per_class, data.get("maxPerClass"), 500),
        "classes": data.get("classes", 10),
        "test_per_class": data.get("testPerClass", 100),
        "loss": "balanced-softmax" if loss_kind in ("balanced-softmax", "ce") else "gpaco",
        "alpha": loss.get("alpha", 0.05),
        "temperature": loss.get("temperature", 0.2),
        "epochs": pick(args.epochs, optim.get("epochs"), 10),
        "batch_size": pick(args.batch_size, optim.get("batchSize"), 64),
        "lr": pick(args.lr, optim.get("lr"), 0.05),
        "weight_decay": optim.get("weightDecay", 5e-4),
        "width": pick(args.width, model.get("width"), 16),
        "seed": pick(args.seed, config.get("seed") if isinstance(config, dict) else None, 0),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", choices=["fashion-mnist", "synthetic"])
    ap.add_argument("--data-path")
    ap.add_argument("--imbalance", type=float)
    ap.add_argument("--max-per-class", type=int)
    ap.add_argument("--loss", choices=["gpaco", "balanced-softmax"])
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--width", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("GPACO_TORCH_THREADS", "2")), help="CPU threads (default 2)")
    ap.add_argument("--runs-dir", default="runs", help="where to make the run folder when not launched by GPaCo Lab")
    ap.add_argument("--name", default="pytorch-example")
    args = ap.parse_args()

    launched = bool(os.environ.get("GPACO_RUN_DIR"))
    config = {}
    if launched:
        import json

        with open(os.path.join(os.environ["GPACO_RUN_DIR"], "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    s = settings(args, config)
    torch.manual_seed(s["seed"])
    torch.set_num_threads(max(1, args.threads))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    if s["data"] == "fashion-mnist":
        names, counts, x_train, y_train, x_test, y_test = fashion_mnist(s["data_path"], s["imbalance"], s["max_per_class"], s["seed"])
    else:
        names, counts, x_train, y_train, x_test, y_test = synthetic(s["classes"], s["imbalance"], s["max_per_class"], s["test_per_class"], s["seed"])
    test_counts = torch.bincount(y_test, minlength=len(names)).tolist()

    if launched:
        run = gpaco_lab.Run.from_env(names, counts, test_counts=test_counts, epochs=s["epochs"])
    else:
        config = {"example": "examples/pytorch/train.py", **{k: v for k, v in s.items()}}
        run = gpaco_lab.Run.create(args.runs_dir, args.name, config, names, counts, test_counts=test_counts, epochs=s["epochs"])
    print("run %s: %s on %s, %d training images (%s), %s loss, %d epochs" % (run.id, s["data"], device, len(y_train), "/".join(map(str, counts)), s["loss"], s["epochs"]), flush=True)

    with run:
        model = ConvNet(len(names), width=s["width"]).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=s["lr"], momentum=0.9, weight_decay=s["weight_decay"])
        steps_per_epoch = math.ceil(len(y_train) / s["batch_size"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s["epochs"] * steps_per_epoch)
        prior = torch.tensor(counts, dtype=torch.float32, device=device)
        log_prior = torch.log(prior / prior.sum())
        x_train, y_train = x_train.to(device), y_train.to(device)
        step = 0
        for epoch in range(1, s["epochs"] + 1):
            model.train()
            started = time.monotonic()
            order = torch.randperm(len(y_train), device=device)
            total_loss, correct, seen = 0.0, 0, 0
            for i in range(0, len(order), s["batch_size"]):
                idx = order[i : i + s["batch_size"]]
                x, y = x_train[idx], y_train[idx]
                if torch.rand(()) < 0.5:
                    x = x.flip(3)  # horizontal flip
                logits, features = model(x)
                if s["loss"] == "gpaco":
                    loss = gpaco_loss(logits, features, y, log_prior, alpha=s["alpha"], temperature=s["temperature"])
                else:
                    loss = balanced_softmax_loss(logits, y, log_prior)
                opt.zero_grad()
                loss.backward()
                opt.step()
                lr = opt.param_groups[0]["lr"]
                sched.step()
                step += 1
                total_loss += loss.item() * len(y)
                correct += (logits.argmax(1) == y).sum().item()
                seen += len(y)
                run.log_step(step, epoch, loss=loss.item(), lr=lr)
                if run.stop_requested():
                    break
            run.log_epoch(epoch, loss=total_loss / max(1, seen), accuracy=correct / max(1, seen), lr=lr, seconds=time.monotonic() - started, images=seen, step=step)

            model.eval()
            with torch.no_grad():
                logits = torch.cat([model(x_test[i : i + 1000].to(device))[0].cpu() for i in range(0, len(y_test), 1000)])
            ev = run.log_eval(epoch, y_test, logits)
            weights = os.path.join(run.dir, "weights", "epoch-%04d.pt" % epoch)
            os.makedirs(os.path.dirname(weights), exist_ok=True)
            torch.save({"model": model.state_dict(), "epoch": epoch}, weights)
            run.log_checkpoint(weights, epoch)
            print("epoch %d/%d  loss %.3f  top-1 %.1f%%  many %.1f%%  medium %.1f%%  few %.1f%%" % (
                epoch, s["epochs"], total_loss / max(1, seen), 100 * ev["top1"], 100 * ev["groupAccuracy"]["many"], 100 * ev["groupAccuracy"]["medium"], 100 * ev["groupAccuracy"]["few"]), flush=True)
            if run.stop_requested():
                print("stop requested: stopping after epoch %d" % epoch, flush=True)
                break


if __name__ == "__main__":
    main()
