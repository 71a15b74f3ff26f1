"""Tests of evaluate.py against references computed another way (run: /usr/bin/python3 -m unittest tools/quality/test_evaluate.py)."""
import contextlib
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'pytorch-reference'))
sys.path.insert(0, os.path.join(HERE, '..', 'nanogpt'))

import evaluate  # noqa: E402
from charrnn import write_safetensors  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402

TEXT = 'the cat sat.\nThe Hat; sat!\n' * 7 + 'zq'  # 'z', 'q' are not in the vocabulary below


def args(**kw):
    a = evaluate.parse_args(['--valid', 'unused', 'charrnn:unused'])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


class SafetensorsTest(unittest.TestCase):
    def test_reads_the_documented_layout_written_by_hand(self):
        header = json.dumps({'b': {'dtype': 'F32', 'shape': [1], 'data_offsets': [8, 12]}, 'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
                             '__metadata__': {'k': 'v'}}).encode()
        header += b' ' * (-len(header) % 8)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'x.safetensors')
            with open(path, 'wb') as f:
                f.write(struct.pack('<Q', len(header)) + header + struct.pack('<3f', 1.5, -2.0, 3.25))
            tensors, meta = evaluate.read_safetensors(path)
        self.assertEqual(tensors['a'].tolist(), [1.5, -2.0])
        self.assertEqual(tensors['b'].tolist(), [3.25])
        self.assertEqual(meta, {'k': 'v'})

    def test_refuses_a_span_that_does_not_fit_the_shape(self):
        header = json.dumps({'a': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 8]}}).encode()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'x.safetensors')
            with open(path, 'wb') as f:
                f.write(struct.pack('<Q', len(header)) + header + b'\0' * 8)
            with self.assertRaisesRegex(evaluate.EvaluationError, r'tensor a spans bytes \[0, 8\) for shape \[3\]'):
                evaluate.read_safetensors(path)


class RnnTest(unittest.TestCase):
    def checkpoint(self, d, arch, layers, lower='false', text='faithful'):
        torch.manual_seed(1)
        vocab = ['<unk>', '<pad>'] + sorted(set(TEXT) - {'z', 'q'})
        model = evaluate.CharRNN(arch, len(vocab), 5, 7, layers)
        state = model.state_dict()
        config = {'arch': arch, 'vocabSize': len(vocab), 'embeddingDim': 5, 'hiddenSize': 7, 'numLayers': layers, 'dropout': 0}
        write_safetensors(os.path.join(d, 'model.safetensors'), list(state.items()),
                          {'charrnn.config': json.dumps(config), 'charrnn.vocab': json.dumps(vocab), 'charrnn.lower': lower,
                           **({'charrnn.text': text} if text else {})})
        return model, vocab

    def test_stateful_loss_equals_one_pass_over_the_whole_text(self):
        for arch, layers in (('gru', 1), ('lstm', 2), ('rnn', 1)):
            with self.subTest(arch=arch), tempfile.TemporaryDirectory() as d:
                model, vocab = self.checkpoint(d, arch, layers)
                loaded, config, loaded_vocab = evaluate.load_charrnn(d)
                self.assertEqual(loaded_vocab, vocab)
                ids, unknown = evaluate.encode(TEXT, vocab, d)
                self.assertEqual(unknown, 2)
                # Reference: the original module over the whole text in one call, unknown characters as id 0.
                x = torch.tensor([vocab.index(c) if c in vocab else 0 for c in TEXT]).view(-1, 1)
                with torch.no_grad():
                    out, _ = model(x[:-1], None)
                reference = F.cross_entropy(out[:, 0].double(), x[1:, 0], reduction='sum').item()
                # Chunks of 5 characters: the state must be carried across 38 chunk boundaries.
                self.assertAlmostEqual(evaluate.score_rnn(loaded, config, ids, chunk=5), reference, places=6)

    def test_a_lower_cased_model_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            self.checkpoint(d, 'gru', 1, lower='true')
            with self.assertRaisesRegex(evaluate.EvaluationError, 'lower-cased'):
                evaluate.load_charrnn(d)

    def test_samples_are_text_never_a_special_token(self):
        with tempfile.TemporaryDirectory() as d:
            model, vocab = self.checkpoint(d, 'gru', 1)
            # Make <unk> and <pad> by far the likeliest next tokens: the mask must still keep them out.
            with torch.no_grad():
                model.decoder.bias[:2] = 50.0
            config = {'arch': 'gru', 'numLayers': 1, 'hiddenSize': 7}
            out = evaluate.sample_rnn(model, config, [2, 3], 200, 1.0, torch.Generator().manual_seed(0), evaluate.special_mask(vocab))
            self.assertEqual(len(out), 200)
            self.assertTrue(all(i >= 2 for i in out), out)

    def test_a_lesson_text_model_is_refused_also_when_the_key_is_absent(self):
        for text, shown in (('lesson', '"lesson"'), (None, 'null')):
            with self.subTest(text=text), tempfile.TemporaryDirectory() as d:
                self.checkpoint(d, 'gru', 1, text=text)
                with self.assertRaisesRegex(evaluate.EvaluationError, f'joined lines \\(charrnn.text {shown}, expected "faithful"\\)'):
                    evaluate.load_charrnn(d)

    def test_unknown_characters_without_unk_are_refused(self):
        with self.assertRaisesRegex(evaluate.EvaluationError, r'2 characters of the held-out text are not in its vocabulary \("qz"\)'):
            evaluate.encode('abzq', ['a', 'b'], 'm')


class TransformerTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(2)
        self.block = 8
        self.model = GPT(GPTConfig(block_size=self.block, vocab_size=30, n_layer=1, n_head=2, n_embd=8, dropout=0.0, bias=True))
        self.model.eval()
        self.ids = torch.randint(0, 30, (61,), generator=torch.Generator().manual_seed(3)).tolist()

    def reference(self, context_start):
        """Σ −log p(ids[p] | ids[context_start(p):p]) over p = 1..n−1, one forward pass per position."""
        total = 0.0
        with torch.no_grad():
            for p in range(1, len(self.ids)):
                x = torch.tensor([self.ids[context_start(p):p]])
                logits, _ = self.model(x)
                total -= F.log_softmax(logits[0, -1].double(), dim=-1)[self.ids[p]].item()
        return total

    def test_stride_1_predicts_each_character_from_up_to_block_size_characters(self):
        expected = self.reference(lambda p: max(0, p - self.block))
        self.assertAlmostEqual(evaluate.score_transformer(self.model, self.ids, self.block, 1, batch=4), expected, places=6)

    def test_a_longer_stride_uses_the_first_window_that_reaches_each_character(self):
        for stride in (3, 8):
            n = len(self.ids)
            starts = list(range(0, n - 1 - self.block + 1, stride))
            if starts[-1] != n - 1 - self.block:
                starts.append(n - 1 - self.block)
            # Position p is predicted by the first window [s, s + block) whose last target s + block reaches p.
            expected = self.reference(lambda p: next(s for s in starts if s + self.block >= p))
            with self.subTest(stride=stride):
                self.assertAlmostEqual(evaluate.score_transformer(self.model, self.ids, self.block, stride, batch=3), expected, places=6)

    def test_the_command_prints_only_json_for_a_nanogpt_out_dir(self):
        # nanoGPT's layout: <run>/out/ckpt.pt and <run>/data/meta.pkl (prepare.py's itos).
        vocab = sorted(set(TEXT))
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, 'out'))
            os.makedirs(os.path.join(d, 'data'))
            args = dict(block_size=self.block, vocab_size=len(vocab), n_layer=1, n_head=2, n_embd=8, dropout=0.0, bias=True)
            with contextlib.redirect_stdout(sys.stderr):
                model = GPT(GPTConfig(**args))
            torch.save({'model': model.state_dict(), 'model_args': args, 'iter_num': 16, 'best_val_loss': torch.tensor(2.5)}, os.path.join(d, 'out', 'ckpt.pt'))
            with open(os.path.join(d, 'data', 'meta.pkl'), 'wb') as f:
                pickle.dump({'vocab_size': len(vocab), 'itos': dict(enumerate(vocab)), 'stoi': {c: i for i, c in enumerate(vocab)}}, f)
            with open(os.path.join(d, 'valid.txt'), 'w') as f:
                f.write(TEXT[:40])
            r = subprocess.run([sys.executable, os.path.join(HERE, 'evaluate.py'), '--valid', os.path.join(d, 'valid.txt'), '--sample-chars', '5', f'nanogpt:{os.path.join(d, "out")}'],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)  # nothing but the JSON on stdout
            ids = [vocab.index(c) for c in TEXT[:40]]
            model.eval()
            self.assertAlmostEqual(out['models'][0]['loss'] * 39, evaluate.score_transformer(model, ids, self.block, 1), places=4)
            self.assertEqual((out['scored'], out['models'][0]['iterNum'], out['models'][0]['ownBestValLoss'], len(out['models'][0]['sample'])), (39, 16, 2.5, 5))

    def test_a_text_shorter_than_the_block(self):
        ids = self.ids[:5]
        self.ids = ids
        self.assertAlmostEqual(evaluate.score_transformer(self.model, ids, self.block, 2), self.reference(lambda p: 0), places=6)


if __name__ == '__main__':
    unittest.main()
