"""The run folder the writer leaves: atomic files, whole-line appends, refusals that name the
field, and the status recorded on every way out (normal end, exception, SIGINT, SIGTERM)."""

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "..")
sys.path.insert(0, PKG)

import gpaco_lab as g  # noqa: E402

NAMES = ["head", "mid", "tail"]
COUNTS = [150, 50, 10]


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.jsonl"), encoding="utf-8") as f:
        text = f.read()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


class Tmp(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name
        # Cleanups run last-in first-out: the folder goes after the runs made in it are finished.
        self.addCleanup(self._tmp.cleanup)

    def make(self, **kw):
        run = g.Run.create(self.tmp, "Py Run!", {"lr": 0.1, "eval": {"groups": "shots", "manyThreshold": 100, "fewThreshold": 20}}, NAMES, COUNTS, **kw)
        self.addCleanup(run.finish)
        return run


class Atomicity(Tmp):
    def test_a_reader_never_sees_a_partial_file(self):
        path = os.path.join(self.tmp, "x.json")
        g.write_json_atomic(path, {"v": 0, "pad": "x" * 200000})
        stop = threading.Event()
        seen = set()
        errors = []

        def reader():
            while not stop.is_set():
                try:
                    with open(path, encoding="utf-8") as f:
                        seen.add(json.load(f)["v"])
                except ValueError as e:  # a torn file would not parse
                    errors.append(e)

        t = threading.Thread(target=reader)
        t.start()
        for v in range(1, 60):
            g.write_json_atomic(path, {"v": v, "pad": str(v) * 200000})
        stop.set()
        t.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(seen), 1)
        self.assertEqual(read(path)["v"], 59)
        self.assertEqual([n for n in os.listdir(self.tmp) if n.endswith(".tmp")], [])

    def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(self):
        path = os.path.join(self.tmp, "x.json")
        g.write_json_atomic(path, {"v": 1})
        with self.assertRaises(ValueError):
            g.write_json_atomic(path, {"v": math.nan})  # JSON has no NaN: refused before writing
        real_replace = os.replace

        def failing(a, b):
            raise OSError(28, "No space left on device")

        os.replace = failing
        try:
            with self.assertRaises(OSError):
                g.write_json_atomic(path, {"v": 2})
        finally:
            os.replace = real_replace
        self.assertEqual(read(path), {"v": 1})
        self.assertEqual(sorted(os.listdir(self.tmp)), ["x.json"])

    def test_appends_are_whole_lines_and_a_torn_last_line_is_ended(self):
        run = self.make()
        path = os.path.join(run.dir, "metrics.jsonl")
        run.finish()
        with open(path, "ab") as f:
            f.write(b'{"kind":"step","ep')  # a writer killed mid-line
        appender = g._LineAppender(path)
        appender.append({"kind": "event", "level": "info", "message": "after", "time": "t"})
        appender.close()
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual(json.loads(lines[-2])["message"], "after")
        self.assertEqual(lines[-3], '{"kind":"step","ep')


class Contents(Tmp):
    def test_create_writes_every_file_of_the_contract(self):
        run = self.make(epochs=2)
        self.assertRegex(run.id, r"^\d{8}-\d{6}-py-run$")
        m = read(os.path.join(run.dir, "run.json"))
        self.assertEqual((m["schema"], m["status"], m["pid"], m["progress"]), ("gpaco-run/1", "running", os.getpid(), {"epoch": 0, "epochs": 2}))
        self.assertEqual(m["config"], {"lr": 0.1, "eval": {"groups": "shots", "manyThreshold": 100, "fewThreshold": 20}})
        self.assertEqual(read(os.path.join(run.dir, "config.json")), m["config"])
        classes = read(os.path.join(run.dir, "classes.json"))
        self.assertEqual(classes["groups"]["assignment"], ["many", "medium", "few"])
        self.assertEqual(classes["testCounts"], [0, 0, 0])

        run.log_step(1, 1, loss=2.5, lr=0.1)
        run.log_step(2, 1, loss=float("nan"), lr=0.1)
        run.log_epoch(1, loss=2.0, accuracy=0.4, lr=0.1, seconds=2.0, images=100)
        ev = run.log_eval(1, [0, 1, 2, 2], [[3, 1, 0], [0, 2, 1], [0, 1, 2], [2, 0, 1]])
        ckpt = os.path.join(self.tmp, "model.pt")
        with open(ckpt, "wb") as f:
            f.write(b"w" * 1234)
        entry = run.log_checkpoint(ckpt, 1)
        run.finish()

        self.assertEqual(read(os.path.join(run.dir, "classes.json"))["testCounts"], [1, 1, 2])
        self.assertEqual(read(os.path.join(run.dir, "evals", "epoch-0001.json")), ev)
        recs = metrics(run.dir)
        kinds = [r["kind"] for r in recs]
        self.assertEqual(kinds, ["event", "step", "event", "epoch", "eval", "checkpoint", "event"])
        self.assertEqual(recs[2]["level"], "warn")
        self.assertIn("loss is nan at epoch 1 step 2", recs[2]["message"])
        self.assertEqual(recs[3]["imagesPerSecond"], 50)
        self.assertEqual(recs[4]["file"], "evals/epoch-0001.json")
        self.assertEqual((recs[4]["top1"], recs[4]["few"]), (0.75, 0.5))
        index = read(os.path.join(run.dir, "checkpoints", "index.json"))
        self.assertEqual(index["checkpoints"], [entry])
        self.assertEqual((entry["bytes"], entry["file"], entry["top1"], entry["best"], entry["external"]), (1234, ckpt, 0.75, True, True))
        self.assertEqual(read(os.path.join(run.dir, entry["path"], "manifest.json"))["bytes"], 1234)
        m = read(os.path.join(run.dir, "run.json"))
        self.assertEqual((m["status"], m["exitCode"], m["progress"]["epoch"]), ("completed", 0, 1))

    def test_nan_accuracies_are_refused_naming_the_field(self):
        run = self.make()
        with self.assertRaisesRegex(g.RunError, r"^log_epoch.accuracy: must be a finite number \(got nan\)"):
            run.log_epoch(1, loss=1.0, accuracy=float("nan"), lr=0.1)
        with self.assertRaisesRegex(g.RunError, r"^log_checkpoint.metrics.top1: must be a finite number"):
            p = os.path.join(self.tmp, "m.pt")
            open(p, "wb").close()
            run.log_checkpoint(p, 1, {"top1": float("nan")})
        with self.assertRaisesRegex(g.RunError, r"^log_step.lr"):
            run.log_step(1, 1, loss=1.0, lr=float("inf"))

    def test_mismatched_class_counts_are_refused_naming_the_field(self):
        with self.assertRaisesRegex(g.RunError, r"^train_counts: 2 counts for 3 class_names"):
            g.Run.create(self.tmp, "x", {}, NAMES, [1, 2])
        with self.assertRaisesRegex(g.RunError, r"^test_counts: 1 counts for 3 class_names"):
            g.Run.create(self.tmp, "y", {}, NAMES, COUNTS, test_counts=[4])
        run = self.make()
        with self.assertRaisesRegex(g.RunError, r"^log_eval.outputs: row 0 has 4 scores, but the run has 3 classes"):
            run.log_eval(1, [0], [[1, 2, 3, 4]])
        with self.assertRaisesRegex(g.RunError, r"^config: must be a JSON object"):
            g.Run.create(self.tmp, "z", [1], NAMES, COUNTS)

    def test_two_runs_with_one_name_get_two_folders(self):
        a = self.make()
        b = self.make()
        self.assertNotEqual(a.dir, b.dir)

    def test_from_env_takes_over_the_folder_and_keeps_the_launchers_fields(self):
        d = os.path.join(self.tmp, "r1")
        os.mkdir(d)
        cfg = {"optim": {"epochs": 7}, "eval": {"groups": "terciles"}}
        g.write_json_atomic(os.path.join(d, "config.json"), cfg)
        manifest = {"schema": "gpaco-run/1", "id": "r1", "name": "n", "createdAt": "2026-01-01T00:00:00.000Z", "status": "running", "pid": 1, "host": "h", "backend": None,
                    "startedAt": None, "endedAt": None, "exitCode": None, "error": None, "progress": {"epoch": 0, "epochs": 7}, "config": cfg, "launch": {"kind": "local"}}
        g.write_json_atomic(os.path.join(d, "run.json"), manifest)
        env = dict(os.environ)
        try:
            os.environ["GPACO_RUN_DIR"] = d
            os.environ["GPACO_RUN_ID"] = "other"
            with self.assertRaisesRegex(g.RunError, r"^GPACO_RUN_ID: 'other' but .* holds run 'r1'"):
                g.Run.from_env(NAMES, COUNTS)
            os.environ["GPACO_RUN_ID"] = "r1"
            run = g.Run.from_env(NAMES, COUNTS, backend="pytorch-cpu")
            self.assertEqual(run.config, cfg)
            run.finish()
        finally:
            os.environ.clear()
            os.environ.update(env)
        m = read(os.path.join(d, "run.json"))
        self.assertEqual((m["status"], m["backend"], m["pid"], m["launch"], m["progress"]["epochs"]), ("completed", "pytorch-cpu", os.getpid(), {"kind": "local"}, 7))
        self.assertEqual(read(os.path.join(d, "classes.json"))["groups"]["rule"], {"kind": "terciles"})


SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, %r)
    import gpaco_lab
    mode = sys.argv[2]
    run = gpaco_lab.Run.create(sys.argv[1], "sub", {}, ["a", "b"], [5, 1])
    def loop():
        print("ready", flush=True)
        for step in range(1, 3000):
            run.log_step(step, 1, loss=1.0, lr=0.1)
            if run.stop_requested():
                return
            time.sleep(0.01)
    if mode == "with-ok":
        with run:
            pass
    elif mode == "with-raise":
        with run:
            raise RuntimeError("boom at step 3")
    elif mode == "with-loop":
        with run:
            loop()
    elif mode == "bare-ok":
        pass
    elif mode == "bare-raise":
        raise RuntimeError("bare boom")
    """
    % PKG
)


class StatusOnExit(Tmp):
    def run_script(self, mode, sig=None):
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, self.tmp, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if sig is not None:
            self.assertEqual(proc.stdout.readline().strip(), "ready")
            time.sleep(0.1)
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        (name,) = os.listdir(self.tmp)
        return proc.returncode, read(os.path.join(self.tmp, name, "run.json")), err

    def test_with_block_ends_completed(self):
        code, m, _ = self.run_script("with-ok")
        self.assertEqual((code, m["status"], m["exitCode"], m["error"]), (0, "completed", 0, None))

    def test_an_exception_ends_failed_with_its_message(self):
        code, m, err = self.run_script("with-raise")
        self.assertEqual((code, m["status"], m["exitCode"]), (1, "failed", 1))
        self.assertEqual(m["error"], {"message": "RuntimeError: boom at step 3"})
        self.assertIn("boom at step 3", err)

    def test_sigint_is_seen_by_stop_requested_and_ends_stopped(self):
        code, m, _ = self.run_script("with-loop", signal.SIGINT)
        self.assertEqual((code, m["status"], m["exitCode"]), (0, "stopped", 0))

    def test_sigterm_ends_stopped(self):
        code, m, _ = self.run_script("with-loop", signal.SIGTERM)
        self.assertEqual((code, m["status"]), (0, "stopped"))

    def test_without_a_with_block_a_normal_end_is_recorded_at_exit(self):
        code, m, _ = self.run_script("bare-ok")
        self.assertEqual((code, m["status"]), (0, "completed"))

    def test_without_a_with_block_an_uncaught_exception_is_recorded_at_exit(self):
        code, m, _ = self.run_script("bare-raise")
        self.assertEqual((code, m["status"], m["error"]), (1, "failed", {"message": "RuntimeError: bare boom"}))

if __name__ == "__main__":
    unittest.main()
