"""Tests of charrnn.py (run: /usr/bin/python3 -m unittest tools/pytorch-reference/test_charrnn.py)."""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'quality'))

import charrnn  # noqa: E402
import evaluate  # noqa: E402


class ScheduleTest(unittest.TestCase):
    def test_warm_up_then_a_cosine_that_ends_at_min_lr_at_the_deadline(self):
        a = charrnn.parse_args(['t', '--valid', 'v', '--minutes', '1', '--out', '/nonexistent/x', '--lr', '3e-3', '--min-lr', '1e-4', '--warmup', '0.1'])
        self.assertAlmostEqual(charrnn.learning_rate(a, 0.0), 3e-5)  # 1% of lr, never 0
        self.assertAlmostEqual(charrnn.learning_rate(a, 0.05), 1.5e-3)
        self.assertAlmostEqual(charrnn.learning_rate(a, 0.1), 3e-3)
        self.assertAlmostEqual(charrnn.learning_rate(a, 0.55), (3e-3 + 1e-4) / 2)  # the cosine's middle
        self.assertAlmostEqual(charrnn.learning_rate(a, 0.1 + 0.9 / 3), 1e-4 + 0.5 * 2.9e-3 * (1 + math.cos(math.pi / 3)))
        self.assertAlmostEqual(charrnn.learning_rate(a, 1.0), 1e-4)
        self.assertAlmostEqual(charrnn.learning_rate(a, 1.2), 1e-4)


class LockedDropoutTest(unittest.TestCase):
    def test_one_mask_per_sequence_for_every_time_step(self):
        torch.manual_seed(0)
        drop = charrnn.LockedDropout(0.5)
        x = torch.rand(7, 3, 40) + 1
        y = drop(x)
        ratio = y / x
        self.assertTrue(torch.equal(ratio, ratio[:1].expand_as(ratio)))  # same mask at every step
        self.assertEqual(set(ratio.unique().tolist()), {0.0, 2.0})
        drop.eval()
        self.assertTrue(torch.equal(drop(x), x))


class ModelTest(unittest.TestCase):
    def test_lstm_forget_gates_start_at_bias_1_and_nothing_else_changes(self):
        torch.manual_seed(0)
        m = charrnn.CharRNN('lstm', 10, 4, 6, 2, 0.1)
        for k in range(2):
            b_ih, b_hh = getattr(m.rnn, f'bias_ih_l{k}'), getattr(m.rnn, f'bias_hh_l{k}')
            self.assertTrue(torch.equal(b_ih[6:12] + b_hh[6:12], torch.ones(6)))  # gate rows i, f, g, o: f is 6..11
            for rows in (slice(0, 6), slice(12, 24)):
                self.assertTrue(bool((b_ih[rows] != 1).all()) and bool((b_hh[rows] != 0).all()))
        self.assertEqual(sorted(n for n, _ in m.named_parameters()), sorted(evaluate.CharRNN('lstm', 10, 4, 6, 2).state_dict()))


class RunTest(unittest.TestCase):
    def test_a_short_run_writes_a_contract_1_checkpoint_the_evaluator_loads(self):
        text = ''.join(f'line {i % 17}: Some Text.\n' for i in range(400))
        with tempfile.TemporaryDirectory() as d:
            for name, body in (('train.txt', text), ('valid.txt', 'line 3: Some Zext.\n' * 5)):
                with open(os.path.join(d, name), 'w') as f:
                    f.write(body)
            out = os.path.join(d, 'rnn')
            # The budget is counted in CPU time so that a busy machine only makes the test slower.
            r = subprocess.run([sys.executable, os.path.join(HERE, 'charrnn.py'), os.path.join(d, 'train.txt'), '--valid', os.path.join(d, 'valid.txt'),
                                '--minutes', '0.1', '--clock', 'cpu', '--out', out, '--hidden', '16', '--embed', '8', '--bs', '4', '--bptt', '16', '--arch', 'gru'],
                               capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1'})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r'(?m)^anchor \{"torch"')
            model, config, vocab = evaluate.load_charrnn(out)  # strict: every contract-1 name and shape
            self.assertEqual(vocab, ['<unk>'] + sorted(set(text)))
            self.assertEqual(config, {'arch': 'gru', 'vocabSize': len(vocab), 'embeddingDim': 8, 'hiddenSize': 16, 'numLayers': 2, 'dropout': 0.1})
            with open(os.path.join(out, 'train.json')) as f:
                report = json.load(f)
            self.assertGreater(report['steps'], 0)
            # Each step trains bs streams of at most bptt characters.
            self.assertEqual(report['charsTrained'] % 4, 0)
            self.assertLessEqual(report['charsTrained'], report['steps'] * 4 * 16)
            self.assertGreaterEqual(report['charsTrained'], report['steps'] * 4)
            self.assertLessEqual(report['bestValidLoss'], min(c['validLoss'] for c in report['checks']) + 1e-12)
            # 'Z' is not in the training text: it is read as <unk>, as the evaluator will read it.
            ids, unknown = evaluate.encode('Zext', vocab, out)
            self.assertEqual((ids[0], unknown), (0, 1))


if __name__ == '__main__':
    unittest.main()
