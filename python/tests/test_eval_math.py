"""The evaluation math of the writer, on hand-worked cases (the TypeScript comparison on the same
inputs is test/python/writerContract.test.ts)."""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import gpaco_lab as g  # noqa: E402


class ConfusionAndAccuracy(unittest.TestCase):
    def test_confusion_rows_are_true_classes(self):
        m = g.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
        self.assertEqual(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
        self.assertEqual(g.per_class_accuracy(m), [0.5, 1.0, 2 / 3])
        self.assertEqual(g.top1_accuracy(m), 4 / 6)

    def test_class_without_test_images_has_accuracy_zero(self):
        self.assertEqual(g.per_class_accuracy([[0, 0], [1, 3]]), [0, 0.75])
        self.assertEqual(g.top1_accuracy([[0, 0], [0, 0]]), 0)

    def test_argmax_takes_the_first_maximum_and_skips_nan(self):
        self.assertEqual(g.predictions_from_scores([[1, 3, 3], [float("nan"), 0, -1], [2, 2, 2]]), [1, 1, 0])

    def test_rank_of_true_class_orders_ties_by_index(self):
        row = [0.5, 0.9, 0.5, 0.1]
        self.assertEqual(g.rank_of_true_class(row, 1), 0)
        self.assertEqual(g.rank_of_true_class(row, 0), 1)
        self.assertEqual(g.rank_of_true_class(row, 2), 2)  # tied with class 0, which comes first
        self.assertEqual(g.rank_of_true_class([float("nan"), 1], 0), 2)


class ShotGroups(unittest.TestCase):
    def test_shots_rule_is_strict_at_both_thresholds(self):
        rule = {"kind": "shots", "many": 100, "few": 20}
        self.assertEqual(g.assign_shot_groups([101, 100, 20, 19], rule), ["many", "medium", "medium", "few"])

    def test_terciles_put_the_larger_parts_first_and_break_ties_by_label(self):
        self.assertEqual(
            g.assign_shot_groups([5] * 10, {"kind": "terciles"}),
            ["many"] * 4 + ["medium"] * 3 + ["few"] * 3,
        )
        self.assertEqual(g.assign_shot_groups([1, 9, 5, 7], {"kind": "terciles"}), ["few", "many", "medium", "many"])

    def test_group_accuracy_skips_classes_absent_from_the_test_set(self):
        acc = g.group_accuracy([1.0, 0.5, 0, 0.25], ["many", "many", "few", "few"], [4, 2, 0, 4])
        self.assertEqual(acc, {"many": 0.75, "medium": 0, "few": 0.25})

    def test_unknown_rule_names_the_field(self):
        with self.assertRaisesRegex(g.RunError, "group_rule.kind"):
            g.assign_shot_groups([1], {"kind": "halves"})


class EvalFile(unittest.TestCase):
    assignment = ["many", "medium", "few"]

    def test_logits_give_top1_top5_groups_and_confusion(self):
        logits = [[3, 1, 0], [0, 2, 1], [0, 1, 2], [2, 0, 1]]
        ev = g.eval_file(7, [0, 1, 2, 2], logits, self.assignment)
        self.assertEqual(ev["tag"], "epoch-0007")
        self.assertEqual(ev["schema"], "gpaco-eval/1")
        self.assertEqual(ev["n"], 4)
        self.assertEqual(ev["confusion"], [[1, 0, 0], [0, 1, 0], [1, 0, 1]])
        self.assertEqual(ev["top1"], 0.75)
        self.assertEqual(ev["top5"], 1.0)
        self.assertEqual(ev["groupAccuracy"], {"many": 1.0, "medium": 1.0, "few": 0.5})
        self.assertEqual(ev["scores"], "scores")

    def test_top5_counts_only_the_five_best(self):
        row = [9, 8, 7, 6, 5, 4, 3]
        assignment = ["many"] * 7
        ev = g.eval_file(1, [4, 5], [row, row], assignment)
        self.assertEqual(ev["top5"], 0.5)

    def test_predicted_labels_give_top5_as_top1(self):
        ev = g.eval_file(1, [0, 1, 2], [0, 2, 2], self.assignment)
        self.assertEqual(ev["top1"], 2 / 3)
        self.assertEqual(ev["top5"], ev["top1"])
        self.assertEqual(ev["scores"], "labels")

    def test_wrong_number_of_scores_names_the_field_and_the_classes(self):
        with self.assertRaisesRegex(g.RunError, r"log_eval.outputs: row 1 has 2 scores, but the run has 3 classes"):
            g.eval_file(1, [0, 1], [[1, 2, 3], [1, 2]], self.assignment)
        with self.assertRaisesRegex(g.RunError, r"log_eval.outputs: 1 rows for 2 targets"):
            g.eval_file(1, [0, 1], [[1, 2, 3]], self.assignment)

    def test_a_target_outside_the_classes_names_its_index(self):
        with self.assertRaisesRegex(g.RunError, r"log_eval.targets\[1\]: 3 is not a class index in 0..2"):
            g.eval_file(1, [0, 3], [0, 1], self.assignment)

    def test_numpy_and_torch_inputs_equal_plain_lists(self):
        import numpy as np
        import torch

        targets = [0, 1, 2, 1, 0]
        logits = [[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.05, 0.05, 0.9], [0.6, 0.35, 0.05], [0.5, 0.25, 0.25]]
        plain = g.eval_file(2, targets, logits, self.assignment)
        self.assertEqual(g.eval_file(2, np.array(targets), np.array(logits), self.assignment), plain)
        self.assertEqual(g.eval_file(2, torch.tensor(targets), torch.tensor(logits, dtype=torch.float64), self.assignment), plain)
        preds = torch.tensor(logits).argmax(dim=1)
        self.assertEqual(g.eval_file(2, torch.tensor(targets), preds, self.assignment)["confusion"], plain["confusion"])

    def test_the_numpy_path_equals_the_loops(self):
        import random

        rng = random.Random(5)
        for _ in range(20):
            c = rng.randint(2, 40)
            n = rng.randint(1, 200)
            assignment = g.assign_shot_groups([rng.randint(1, 300) for _ in range(c)], {"kind": "shots", "many": 100, "few": 20})
            targets = [rng.randrange(c) for _ in range(n)]
            # one decimal: ties are common, and ties are where argmax and rank could differ
            scores = [[round(rng.uniform(-2, 2), 1) for _ in range(c)] for _ in range(n)]
            fast = g.eval_file(1, targets, scores, assignment)
            saved = g._numpy_scores
            g._numpy_scores = lambda *a: None
            try:
                slow = g.eval_file(1, targets, scores, assignment)
            finally:
                g._numpy_scores = saved
            self.assertEqual(fast, slow)

    def test_nan_scores_never_win(self):
        ev = g.eval_file(1, [1], [[math.nan, 0.2, 0.1]], self.assignment)
        self.assertEqual(ev["confusion"][1], [0, 1, 0])


if __name__ == "__main__":
    unittest.main()
