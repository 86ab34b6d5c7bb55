"""Writes GPaCo Lab run folders (run-folder contract v1, docs/run-folder.md) from any Python
training loop, so the GPaCo Lab dashboard, CLI and compare panel show PyTorch (or any) runs.

Standard library only; numpy arrays and torch tensors are accepted as inputs when present.
This file is the whole package: it can be vendored as ``gpaco_lab.py``.

    run = gpaco_lab.Run.from_env(class_names, train_counts)   # launched by GPaCo Lab
    run = gpaco_lab.Run.create("runs", "my-run", config, class_names, train_counts)
    with run:
        for epoch in range(1, epochs + 1):
            ...
            run.log_step(step, epoch, loss=loss, lr=lr)
            run.log_epoch(epoch, loss=..., accuracy=..., lr=...)
            run.log_eval(epoch, targets, logits)
            run.log_checkpoint("model.pt", epoch)
            if run.stop_requested():
                break
"""

import atexit
import datetime as _dt
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time
import unicodedata

__all__ = [
    "Run",
    "RunError",
    "assign_shot_groups",
    "confusion_matrix",
    "epoch_tag",
    "eval_file",
    "group_accuracy",
    "per_class_accuracy",
    "predictions_from_scores",
    "rank_of_true_class",
    "top1_accuracy",
    "write_file_atomic",
]
__version__ = "0.1.0"

RUN_SCHEMA = "gpaco-run/1"
EVAL_SCHEMA = "gpaco-eval/1"
EXTERNAL_CHECKPOINT_SCHEMA = "gpaco-external-checkpoint/1"
SHOT_GROUPS = ("many", "medium", "few")
DEFAULT_GROUP_RULE = {"kind": "shots", "many": 100, "few": 20}


class RunError(ValueError):
    """Bad input to the writer; the message names the field (``log_eval.outputs: ...``)."""


# ----------------------------------------------------------------------------------------------
# Files: atomic replacement and whole-line appends


_tmp_counter = 0
_tmp_lock = threading.Lock()


def write_file_atomic(path, data):
    """Writes ``data`` (str or bytes) to a temp file in the same folder, fsyncs it and renames it
    over ``path``: a reader sees the old file or the new one, never a half-written one."""
    global _tmp_counter
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    with _tmp_lock:
        _tmp_counter += 1
        n = _tmp_counter
    # Starts with "." and ends in ".tmp", which every reader skips.
    tmp = os.path.join(folder, ".%s.%d.%d.tmp" % (os.path.basename(path), os.getpid(), n))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_dir(folder)


def _sync_dir(folder):
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the data itself is synced
    finally:
        os.close(fd)


def _json_text(value):
    # allow_nan=False: JSON has no NaN, and a reader would reject the whole file.
    return json.dumps(value, indent=2, allow_nan=False) + "\n"


def write_json_atomic(path, value):
    write_file_atomic(path, _json_text(value))


class _LineAppender:
    """Appends whole lines to metrics.jsonl with O_APPEND, one write per line, so a reader
    never sees two records interleaved and a killed writer leaves at most one torn line."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        size = os.fstat(self.fd).st_size
        if size > 0:
            with open(path, "rb") as f:
                f.seek(size - 1)
                last = f.read(1)
            # A torn last line from a killed writer: end it so the next record is not lost with it.
            if last != b"\n":
                self._write(b"\n")

    def append(self, record):
        self._write((json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8"))

    def _write(self, data):
        if self.fd is None:
            raise RunError("metrics.jsonl: the run is finished; nothing more can be logged")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# ----------------------------------------------------------------------------------------------
# Inputs: plain sequences, numpy arrays and torch tensors


def _plain(value, field):
    """A nested list of Python numbers from a list, tuple, numpy array or torch tensor."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu()
        if hasattr(value, "double") and getattr(value, "is_floating_point", lambda: False)():
            value = value.double()
    if hasattr(value, "tolist"):  # numpy / torch
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    raise RunError("%s: expected a sequence, numpy array or torch tensor (got %s)" % (field, type(value).__name__))


def _finite(value, field):
    if isinstance(value, bool):
        raise RunError("%s: expected a number (got %r)" % (field, value))
    if hasattr(value, "item"):  # 0-d numpy / torch
        value = value.item()
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise RunError("%s: expected a number (got %r)" % (field, value)) from None
    if not math.isfinite(x):
        raise RunError("%s: must be a finite number (got %r)" % (field, x))
    return x


def _label(value, field, num_classes):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 0 <= value < num_classes:
        raise RunError("%s: %r is not a class index in 0..%d" % (field, value, num_classes - 1))
    return int(value)


# ----------------------------------------------------------------------------------------------
# Evaluation math: the same operations in the same order as src/core/evalMath.ts, so both give
# bit-identical numbers (tested).


def confusion_matrix(labels, predictions, num_classes):
    """Dense C x C counts, row = true class, column = predicted class."""
    if len(labels) != len(predictions):
        raise RunError("log_eval.outputs: %d targets but %d predictions" % (len(labels), len(predictions)))
    m = [[0] * num_classes for _ in range(num_classes)]
    for t, p in zip(labels, predictions):
        m[t][p] += 1
    return m


def per_class_accuracy(confusion):
    """Correct / total per true class; 0 for a class with no test images."""
    out = []
    for c, row in enumerate(confusion):
        total = sum(row)
        out.append(0 if total == 0 else row[c] / total)
    return out


def top1_accuracy(confusion):
    correct = 0
    total = 0
    for c, row in enumerate(confusion):
        correct += row[c]
        total += sum(row)
    return 0 if total == 0 else correct / total


def predictions_from_scores(scores):
    """argmax per row; the first maximum wins a tie, and a NaN never stays the maximum."""
    out = []
    for row in scores:
        best = 0
        for j in range(1, len(row)):
            if row[j] > row[best] or math.isnan(row[best]):
                best = j
        out.append(best)
    return out


def rank_of_true_class(row, label):
    """How many classes come before the true one: higher score, or equal score and lower index
    (argmax order). A NaN true score ranks last."""
    s = row[label]
    if math.isnan(s):
        return len(row)
    rank = 0
    for j, v in enumerate(row):
        if v > s or (v == s and j < label):
            rank += 1
    return rank


def assign_shot_groups(train_counts, rule):
    """many / medium / few per class: ``shots`` (many if n > many, few if n < few, strict) or
    ``terciles`` of the head-to-tail order (larger parts first, ties by label order)."""
    kind = rule.get("kind")
    if kind == "shots":
        return ["many" if n > rule["many"] else "few" if n < rule["few"] else "medium" for n in train_counts]
    if kind == "terciles":
        c = len(train_counts)
        sizes = [c // 3 + (1 if i < c % 3 else 0) for i in range(3)]
        order = sorted(range(c), key=lambda i: (-train_counts[i], i))
        out = [None] * c
        for rank, cls in enumerate(order):
            out[cls] = "many" if rank < sizes[0] else "medium" if rank < sizes[0] + sizes[1] else "few"
        return out
    raise RunError("group_rule.kind: must be \"shots\" or \"terciles\" (got %r)" % (kind,))


def group_accuracy(per_class, assignment, test_counts=None):
    """Mean per-class accuracy of each group's classes present in the test set; 0 when empty."""
    total = {g: 0 for g in SHOT_GROUPS}
    count = {g: 0 for g in SHOT_GROUPS}
    for c, acc in enumerate(per_class):
        if test_counts is not None and not test_counts[c] > 0:
            continue
        g = assignment[c]
        total[g] += acc
        count[g] += 1
    return {g: (0 if count[g] == 0 else total[g] / count[g]) for g in SHOT_GROUPS}


def _numpy_scores(rows, labels, num_classes):
    """argmax and top-5 hits with numpy when it is installed and no score is NaN: the same
    integers as the loops above (first maximum wins; rank counts higher scores and equal ones of
    a lower index), much faster for thousands of images and classes. None: use the loops."""
    np = sys.modules.get("numpy")
    if np is None:
        try:
            import numpy as np  # noqa: F811
        except ImportError:
            return None
    if any(not isinstance(r, (list, tuple)) or len(r) != num_classes for r in rows):
        return None  # the loops name the row that is wrong
    try:
        a = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if np.isnan(a).any():
        return None
    predictions = a.argmax(axis=1).tolist()
    lab = np.asarray(labels, dtype=np.int64)
    true = a[np.arange(len(lab)), lab][:, None]
    lower = np.arange(num_classes)[None, :] < lab[:, None]
    rank = (a > true).sum(axis=1) + ((a == true) & lower).sum(axis=1)
    return predictions, int((rank < 5).sum())


def epoch_tag(epoch):
    """``epoch-0012``: zero-padded so tags sort in epoch order."""
    return "epoch-%04d" % epoch


def eval_file(epoch, targets, outputs, assignment, tag=None, split="test", checkpoint=None):
    """The evals/<tag>.json object of one evaluation. ``outputs`` are N x C scores (logits or
    probabilities) or N predicted labels; ``len(assignment)`` is the number of classes C."""
    num_classes = len(assignment)
    labels_in = _plain(targets, "log_eval.targets")
    outs = _plain(outputs, "log_eval.outputs")
    if len(outs) != len(labels_in):
        raise RunError("log_eval.outputs: %d rows for %d targets" % (len(outs), len(labels_in)))
    labels = [_label(t, "log_eval.targets[%d]" % i, num_classes) for i, t in enumerate(labels_in)]
    scored = len(outs) > 0 and isinstance(outs[0], (list, tuple))
    top5_hits = 0
    fast = _numpy_scores(outs, labels, num_classes) if scored else None
    if fast is not None:
        predictions, top5_hits = fast
    elif scored:
        rows = []
        for i, row in enumerate(outs):
            if not isinstance(row, (list, tuple)) or len(row) != num_classes:
                got = len(row) if isinstance(row, (list, tuple)) else "a scalar"
                raise RunError("log_eval.outputs: row %d has %s scores, but the run has %d classes (classes.json names)" % (i, got, num_classes))
            rows.append([float(v) for v in row])
        predictions = predictions_from_scores(rows)
        for row, t in zip(rows, labels):
            if rank_of_true_class(row, t) < 5:
                top5_hits += 1
    else:
        predictions = [_label(p, "log_eval.outputs[%d]" % i, num_classes) for i, p in enumerate(outs)]
    confusion = confusion_matrix(labels, predictions, num_classes)
    per_class = per_class_accuracy(confusion)
    n = len(labels)
    top1 = top1_accuracy(confusion)
    result = {
        "schema": EVAL_SCHEMA,
        "tag": tag if tag is not None else epoch_tag(epoch),
        "epoch": epoch,
        "split": split,
        "n": n,
        "top1": top1,
        # With labels only the rank of the true class is unknown: top-5 is reported as top-1
        # (a lower bound) and `scores` says so.
        "top5": (0 if n == 0 else top5_hits / n) if scored else top1,
        "groupAccuracy": group_accuracy(per_class, assignment, [sum(r) for r in confusion]),
        "perClassAccuracy": per_class,
        "confusion": confusion,
        "scores": "scores" if scored else "labels",
    }
    if checkpoint is not None:
        result["checkpoint"] = checkpoint
    return result


# ----------------------------------------------------------------------------------------------
# Run folder


def _now_iso():
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _slugify(name):
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:40].rstrip("-")
    return s or "run"


def _read_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise RunError("%s: cannot read: %s" % (path, e.strerror or e)) from None
    except ValueError as e:
        raise RunError("%s: not valid JSON: %s" % (path, e)) from None


def _detect_backend():
    torch = sys.modules.get("torch")
    if torch is None:
        return "python", None
    try:
        if torch.cuda.is_available():
            return "pytorch-cuda", "pytorch %s, CUDA on %s" % (torch.__version__, torch.cuda.get_device_name(0))
    except Exception:  # a broken CUDA setup is still a CPU run
        pass
    return "pytorch-cpu", "pytorch %s on CPU" % torch.__version__


def _group_rule_of(config):
    ev = config.get("eval") if isinstance(config, dict) else None
    if isinstance(ev, dict):
        if ev.get("groups") == "terciles":
            return {"kind": "terciles"}
        if ev.get("groups", "shots") == "shots" and ("manyThreshold" in ev or "fewThreshold" in ev):
            return {"kind": "shots", "many": ev.get("manyThreshold", 100), "few": ev.get("fewThreshold", 20)}
    return dict(DEFAULT_GROUP_RULE)


class Run:
    """One run folder being written. Make one with ``Run.create`` or ``Run.from_env``."""

    def __init__(self, directory, manifest, config, class_names, train_counts, test_counts=None, group_rule=None):
        self.dir = os.path.abspath(directory)
        self.id = manifest["id"]
        self.config = config
        self._manifest = manifest
        names = [str(n) for n in _plain(class_names, "class_names")]
        if not names:
            raise RunError("class_names: a run needs at least one class")
        counts = [_count(c, "train_counts[%d]" % i) for i, c in enumerate(_plain(train_counts, "train_counts"))]
        if len(counts) != len(names):
            raise RunError("train_counts: %d counts for %d class_names" % (len(counts), len(names)))
        if test_counts is not None:
            tc = [_count(c, "test_counts[%d]" % i) for i, c in enumerate(_plain(test_counts, "test_counts"))]
            if len(tc) != len(names):
                raise RunError("test_counts: %d counts for %d class_names" % (len(tc), len(names)))
        else:
            tc = None
        rule = dict(group_rule) if group_rule is not None else _group_rule_of(config)
        self.class_names = names
        self.train_counts = counts
        self.assignment = assign_shot_groups(counts, rule)
        self._rule = rule
        self._test_counts = tc
        self._stop = False
        self._finished = False
        self._exception = None
        self._old_handlers = {}
        self._epoch_clock = time.monotonic()
        self._best_top1 = None
        os.makedirs(os.path.join(self.dir, "evals"), exist_ok=True)
        self._write_classes()
        self._metrics = _LineAppender(os.path.join(self.dir, "metrics.jsonl"))
        self._install_signal_handlers()
        self._atexit = atexit.register(self._at_exit)
        self._wrap_excepthook()

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def create(cls, runs_dir, name, config, class_names, train_counts, *, test_counts=None, epochs=None, backend=None, group_rule=None):
        """Creates ``<runs_dir>/<YYYYMMDD-HHMMSS-name>/`` (``-2``, ``-3``... when taken) and starts
        the run in it. ``config`` is any JSON object; it is stored as config.json."""
        if not isinstance(config, dict):
            raise RunError("config: must be a JSON object (a dict), got %s" % type(config).__name__)
        _check_json(config, "config")
        os.makedirs(runs_dir, exist_ok=True)
        now = _dt.datetime.now()
        base = "%s-%s" % (now.strftime("%Y%m%d-%H%M%S"), _slugify(name))
        for n in range(1, 1002):
            run_id = base if n == 1 else "%s-%d" % (base, n)
            directory = os.path.join(runs_dir, run_id)
            try:
                os.mkdir(directory)  # exclusive: two writers never share a folder
                break
            except FileExistsError:
                if n > 1000:
                    raise
        write_json_atomic(os.path.join(directory, "config.json"), config)
        manifest = {
            "schema": RUN_SCHEMA,
            "id": run_id,
            "name": name,
            "createdAt": _now_iso(),
            "status": "queued",
            "pid": None,
            "host": socket.gethostname(),
            "backend": None,
            "startedAt": None,
            "endedAt": None,
            "exitCode": None,
            "error": None,
            "progress": {"epoch": 0, "epochs": 0},
            "config": config,
        }
        run = cls(directory, manifest, config, class_names, train_counts, test_counts, group_rule)
        run._start(epochs, backend)
        return run

    @classmethod
    def from_env(cls, class_names, train_counts, *, test_counts=None, epochs=None, backend=None, group_rule=None):
        """Takes over the run folder GPaCo Lab made for this process (``GPACO_RUN_DIR``, checked
        against ``GPACO_RUN_ID``). Its config.json is in ``run.config``."""
        directory = os.environ.get("GPACO_RUN_DIR")
        if not directory:
            raise RunError("GPACO_RUN_DIR: not set (this process was not started by GPaCo Lab; use Run.create)")
        manifest = _read_json(os.path.join(directory, "run.json"))
        if not isinstance(manifest, dict) or manifest.get("schema") != RUN_SCHEMA:
            raise RunError("%s: not a GPaCo Lab run.json (schema %r)" % (os.path.join(directory, "run.json"), RUN_SCHEMA))
        expected = os.environ.get("GPACO_RUN_ID")
        if expected and manifest.get("id") != expected:
            raise RunError("GPACO_RUN_ID: %r but %s holds run %r" % (expected, directory, manifest.get("id")))
        config = _read_json(os.path.join(directory, "config.json"))
        run = cls(directory, manifest, config, class_names, train_counts, test_counts, group_rule)
        if epochs is None and isinstance(config, dict) and isinstance(config.get("optim"), dict):
            epochs = config["optim"].get("epochs")
        run._start(epochs, backend)
        return run

    def _start(self, epochs, backend):
        name, detail = (backend, None) if backend is not None else _detect_backend()
        progress = dict(self._manifest.get("progress") or {})
        progress.setdefault("epoch", 0)
        progress["epochs"] = int(epochs) if epochs is not None else progress.get("epochs", 0)
        patch = {
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "backend": name,
            "startedAt": _now_iso(),
            "endedAt": None,
            "exitCode": None,
            "error": None,
            "progress": progress,
        }
        if detail is not None:
            patch["backendInfo"] = {"name": name, "detail": detail}
        self._update_manifest(patch)
        self._event("info", "backend %s%s" % (name, " (%s)" % detail if detail else ""))

    # -- files ----------------------------------------------------------------------------------

    def _update_manifest(self, patch):
        path = os.path.join(self.dir, "run.json")
        # Re-read: the launcher may have recorded facts (its launch record) since we last wrote.
        try:
            current = _read_json(path)
        except RunError:
            current = self._manifest
        if not isinstance(current, dict):
            current = self._manifest
        current.update(patch)
        write_json_atomic(path, current)
        self._manifest = current

    def _write_classes(self):
        test_counts = self._test_counts if self._test_counts is not None else [0] * len(self.class_names)
        write_json_atomic(
            os.path.join(self.dir, "classes.json"),
            {
                "names": self.class_names,
                "trainCounts": self.train_counts,
                "testCounts": test_counts,
                "groups": {"rule": self._rule, "assignment": self.assignment},
            },
        )

    def _append(self, record):
        self._metrics.append(record)

    def _event(self, level, message):
        self._append({"kind": "event", "level": level, "message": message, "time": _now_iso()})

    # -- logging --------------------------------------------------------------------------------

    def log_step(self, step, epoch, *, loss, lr):
        """One optimisation step. A non-finite loss is logged as a warning event instead (JSON
        has no NaN, and readers drop such a record)."""
        step = _count(step, "log_step.step")
        epoch = _count(epoch, "log_step.epoch")
        lr = _finite(lr, "log_step.lr")
        try:
            loss = _finite(loss, "log_step.loss")
        except RunError:
            self._event("warn", "loss is %s at epoch %d step %d" % (_as_float(loss), epoch, step))
            return
        self._append({"kind": "step", "epoch": epoch, "step": step, "loss": loss, "lr": lr, "time": _now_iso()})

    def log_epoch(self, epoch, *, loss, accuracy, lr, seconds=None, images=None, step=None):
        """The end of an epoch: training loss and accuracy (0..1). ``seconds`` defaults to the time
        since the previous epoch; ``images`` (seen this epoch) gives images per second."""
        epoch = _count(epoch, "log_epoch.epoch")
        rec = {
            "kind": "epoch",
            "epoch": epoch,
            "loss": _finite(loss, "log_epoch.loss"),
            "accuracy": _fraction(accuracy, "log_epoch.accuracy"),
            "lr": _finite(lr, "log_epoch.lr"),
        }
        now = time.monotonic()
        secs = _finite(seconds, "log_epoch.seconds") if seconds is not None else now - self._epoch_clock
        self._epoch_clock = now
        rec["seconds"] = secs
        rec["imagesPerSecond"] = (_finite(images, "log_epoch.images") / secs) if images is not None and secs > 0 else 0
        rec["time"] = _now_iso()
        self._append(rec)
        progress = dict(self._manifest.get("progress") or {})
        progress["epoch"] = epoch
        if step is not None:
            progress["step"] = _count(step, "log_epoch.step")
        self._update_manifest({"progress": progress})

    def log_eval(self, epoch, targets, outputs, *, tag=None, split="test", checkpoint=None):
        """Evaluates and records: ``targets`` are N class indices, ``outputs`` N x C scores
        (logits or probabilities: top-5 counted) or N predicted indices. Writes evals/<tag>.json
        (confusion, per-class, many / medium / few, top-1 / top-5) and returns it as a dict."""
        epoch = _count(epoch, "log_eval.epoch")
        ev = eval_file(epoch, targets, outputs, self.assignment, tag=tag, split=split, checkpoint=checkpoint)
        for key in ("top1", "top5"):
            _fraction(ev[key], "log_eval.%s" % key)
        for g in SHOT_GROUPS:
            _fraction(ev["groupAccuracy"][g], "log_eval.groupAccuracy.%s" % g)
        if "/" in ev["tag"] or ev["tag"].startswith(".") or not ev["tag"]:
            raise RunError("log_eval.tag: %r is not a plain file name" % ev["tag"])
        counts = [sum(r) for r in ev["confusion"]]
        if self._test_counts is None and ev["split"] == "test":
            # The test set is known once it is evaluated: record its per-class counts.
            self._test_counts = counts
            self._write_classes()
        write_json_atomic(os.path.join(self.dir, "evals", "%s.json" % ev["tag"]), ev)
        self._append(
            {
                "kind": "eval",
                "epoch": epoch,
                "tag": ev["tag"],
                "top1": ev["top1"],
                "top5": ev["top5"],
                "many": ev["groupAccuracy"]["many"],
                "medium": ev["groupAccuracy"]["medium"],
                "few": ev["groupAccuracy"]["few"],
                "file": "evals/%s.json" % ev["tag"],
                "time": _now_iso(),
            }
        )
        return ev

    def log_checkpoint(self, path, epoch, metrics=None, *, tag=None, step=0):
        """Lists an external checkpoint file (say ``model.pt``) with its size in
        checkpoints/index.json. ``metrics`` may hold top1 / many / medium / few (else the eval
        of the same epoch, when there is one)."""
        epoch = _count(epoch, "log_checkpoint.epoch")
        file = os.path.abspath(os.fspath(path))
        try:
            size = os.stat(file).st_size
        except OSError as e:
            raise RunError("log_checkpoint.path: cannot read %s: %s" % (file, e.strerror or e)) from None
        tag = tag if tag is not None else epoch_tag(epoch)
        if "/" in tag or tag.startswith(".") or not tag:
            raise RunError("log_checkpoint.tag: %r is not a plain file name" % tag)
        m = dict(metrics or {})
        if not m:
            ev_path = os.path.join(self.dir, "evals", "%s.json" % epoch_tag(epoch))
            if os.path.exists(ev_path):
                ev = _read_json(ev_path)
                m = {"top1": ev["top1"], **ev["groupAccuracy"]}
        vals = {k: (_fraction(m[k], "log_checkpoint.metrics.%s" % k) if m.get(k) is not None else None) for k in ("top1", "many", "medium", "few")}
        now = _now_iso()
        rel = "checkpoints/%s" % tag
        folder = os.path.join(self.dir, "checkpoints", tag)
        os.makedirs(folder, exist_ok=True)
        # The folder's manifest.json (written last) marks the entry complete for every reader;
        # it points at the external file instead of holding weights.
        write_json_atomic(
            os.path.join(folder, "manifest.json"),
            {"schema": EXTERNAL_CHECKPOINT_SCHEMA, "tag": tag, "epoch": epoch, "step": step, "file": file, "bytes": size, "time": now},
        )
        index_path = os.path.join(self.dir, "checkpoints", "index.json")
        index = _read_json(index_path) if os.path.exists(index_path) else {"checkpoints": []}
        entries = [e for e in index.get("checkpoints", []) if isinstance(e, dict) and e.get("tag") != tag]
        entry = {"tag": tag, "epoch": epoch, "step": step, "path": rel, "file": file, "external": True, "bytes": size, "time": now, "best": False}
        entry.update(vals)
        entries.append(entry)
        scored = [e for e in entries if isinstance(e.get("top1"), (int, float))]
        best = max(scored, key=lambda e: e["top1"]) if scored else None
        for e in entries:
            e["best"] = e is best
        entries.sort(key=lambda e: (e.get("epoch", 0), e.get("step", 0)))
        write_json_atomic(index_path, {"checkpoints": entries})
        self._append({"kind": "checkpoint", "epoch": epoch, "tag": tag, "time": now})
        return entry

    def event(self, message, level="info"):
        """A line in the run's event log (``info``, ``warn`` or ``error``)."""
        if level not in ("info", "warn", "error"):
            raise RunError("event.level: must be info, warn or error (got %r)" % (level,))
        self._event(level, str(message))

    # -- stopping -------------------------------------------------------------------------------

    def stop_requested(self):
        """True once GPaCo Lab (Stop), Ctrl-C or SIGTERM asked the run to stop: finish the step,
        save what you need, and leave the loop."""
        return self._stop

    def request_stop(self):
        self._stop = True

    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread

        def handler(signum, frame):
            if self._stop and signum == signal.SIGINT:
                # A second Ctrl-C is impatient: interrupt the loop now.
                raise KeyboardInterrupt
            self._stop = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old_handlers[sig] = signal.signal(sig, handler)
            except (ValueError, OSError):
                pass

    def _restore_signal_handlers(self):
        for sig, old in self._old_handlers.items():
            try:
                signal.signal(sig, old if old is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass
        self._old_handlers = {}

    # -- the end --------------------------------------------------------------------------------

    def finish(self, status=None, error=None):
        """Records the outcome: ``completed``, or ``stopped`` when a stop was requested, or
        ``failed`` with ``error``. Called by ``with run:`` and at exit; idempotent."""
        if self._finished:
            return
        if status is None:
            status = "failed" if error is not None else "stopped" if self._stop else "completed"
        if status not in ("completed", "stopped", "failed"):
            raise RunError("finish.status: must be completed, stopped or failed (got %r)" % (status,))
        self._finished = True
        self._restore_signal_handlers()
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            pass
        message = None if error is None else (error if isinstance(error, str) else "%s: %s" % (type(error).__name__, error))
        self._event("error" if status == "failed" else "info", status if message is None else "failed: %s" % message)
        self._metrics.close()
        self._update_manifest(
            {
                "status": status,
                "endedAt": _now_iso(),
                "exitCode": 1 if status == "failed" else 0,
                "error": None if message is None else {"message": message},
            }
        )

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish("stopped")
        elif issubclass(exc_type, SystemExit) and exc.code in (None, 0):
            self.finish()
        else:
            self.finish("failed", exc if exc is not None else exc_type.__name__)
        return False

    def _wrap_excepthook(self):
        previous = sys.excepthook

        def hook(exc_type, exc, tb):
            self._exception = exc if exc is not None else exc_type
            previous(exc_type, exc, tb)

        sys.excepthook = hook

    def _at_exit(self):
        # The script ended without `with run:` or finish(): record what can be known.
        if self._finished:
            return
        exc = self._exception
        if exc is not None and not isinstance(exc, KeyboardInterrupt):
            self.finish("failed", exc)
        elif exc is not None:
            self.finish("stopped")
        else:
            self.finish()


def _count(value, field):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0 or value != int(value):
        raise RunError("%s: expected a whole number >= 0 (got %r)" % (field, value))
    return int(value)


def _fraction(value, field):
    x = _finite(value, field)
    if not 0 <= x <= 1:
        raise RunError("%s: must be a fraction in 0..1 (got %r)" % (field, x))
    return x


def _as_float(value):
    try:
        return float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        return value


def _check_json(value, field):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise RunError("%s: not JSON: %s" % (field, e)) from None
