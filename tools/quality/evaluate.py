#!/usr/bin/env python3
"""One evaluator for every model of `train:quality`: cross-entropy in nats per character on a held-out text.

    evaluate.py --valid VALID_TEXT [--threads N] [--stride S] [--sample-chars K] MODEL ...

Each MODEL is KIND:PATH:
  charrnn:DIR   a contract-1 checkpoint directory (DIR/model.safetensors: nn.Embedding `encoder`,
                nn.RNN/GRU/LSTM `rnn`, nn.Linear `decoder`, metadata charrnn.config/vocab/lower;
                docs/checkpoint.md), as train:fit and tools/pytorch-reference/charrnn.py write it.
  nanogpt:DIR   a nanoGPT out_dir (DIR/ckpt.pt) whose data directory's meta.pkl is DIR/../data/meta.pkl,
                with the model class of tools/nanogpt/model.py.

The validation text is read as written (UTF-8, newlines and case kept). Every model predicts
characters 2..n of it from the characters before it, starting cold at its first character (an RNN
from the zero state, a transformer from an empty context), so every model is scored on the same
n − 1 predictions:
  - an RNN is run once over the whole text with batch 1, its state carried from each character
    to the next (stateful, as it generates);
  - a transformer sees at most block_size characters: windows of block_size slide by --stride, the
    first window scores all its predictions and each later one its last `stride`, so each
    character after the first window is predicted from block_size − stride + 1 … block_size
    characters before it.
A character the model's vocabulary lacks is read as its '<unk>' (id 0) and counted in `unknown`;
a model without '<unk>' cannot be scored on such text and is refused.

Prints one JSON object: {"validChars", "scored", "models": [{kind, path, params, loss, unknown,
context, sample, ...}]}. Samples are --sample-chars characters drawn at --temperature with a
seeded generator after the validation text's first --prompt-chars characters.
"""
import argparse
import contextlib
import json
import math
import os
import pickle
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
NANOGPT = os.path.join(HERE, '..', 'nanogpt')


class EvaluationError(Exception):
    pass


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('models', nargs='+', metavar='KIND:PATH', help='charrnn:DIR or nanogpt:DIR')
    p.add_argument('--valid', required=True, help='held-out text, read as written')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--stride', type=int, default=0, help="transformer window stride (default: block_size / 8)")
    p.add_argument('--sample-chars', type=int, default=300)
    p.add_argument('--prompt-chars', type=int, default=64)
    p.add_argument('--temperature', type=float, default=0.8)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def read_text(path):
    with open(path, encoding='utf-8', newline='') as f:
        return f.read()


# ---- contract 1: the safetensors checkpoint ---------------------------------------------------

def read_safetensors(path):
    """{name: float32 tensor}, metadata; the layout of docs/checkpoint.md, read here without train's code."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise EvaluationError(f'{path} is {len(data)} bytes, shorter than the 8-byte header length')
    (n,) = struct.unpack('<Q', data[:8])
    if 8 + n > len(data):
        raise EvaluationError(f'{path}: header length {n} runs past the end of the file ({len(data)} bytes)')
    header = json.loads(data[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', {})
    body = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t['dtype'] != 'F32':
            raise EvaluationError(f'{path}: tensor {name} has dtype {t["dtype"]}, expected F32')
        begin, end = t['data_offsets']
        count = int(np.prod(t['shape'])) if t['shape'] else 1
        if end - begin != 4 * count or end > len(body):
            raise EvaluationError(f'{path}: tensor {name} spans bytes [{begin}, {end}) for shape {t["shape"]}')
        tensors[name] = torch.from_numpy(np.frombuffer(body, dtype='<f4', count=count, offset=begin).reshape(t['shape']).copy())
    return tensors, metadata


class CharRNN(nn.Module):
    def __init__(self, arch, vocab, embed, hidden, layers):
        super().__init__()
        self.arch = arch
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = {'rnn': nn.RNN, 'gru': nn.GRU, 'lstm': nn.LSTM}[arch](embed, hidden, layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens, state):
        out, state = self.rnn(self.encoder(tokens), state)
        return self.decoder(out), state


def load_charrnn(directory):
    path = os.path.join(directory, 'model.safetensors')
    tensors, metadata = read_safetensors(path)
    for key in ('charrnn.config', 'charrnn.vocab'):
        if key not in metadata:
            raise EvaluationError(f'{path} has no metadata {key}; expected a contract-1 checkpoint (docs/checkpoint.md)')
    config = json.loads(metadata['charrnn.config'])
    vocab = json.loads(metadata['charrnn.vocab'])
    if metadata.get('charrnn.lower') == 'true':
        raise EvaluationError(f'{path} was trained on lower-cased text (charrnn.lower "true"); the held-out text is scored as written, so train it with case kept')
    # Absent means the lesson's text (lines joined, no line breaks), as for checkpoints written before text modes.
    if metadata.get('charrnn.text', 'lesson') != 'faithful':
        raise EvaluationError(f'{path} was trained on the lesson\'s joined lines (charrnn.text {json.dumps(metadata.get("charrnn.text"))}, expected "faithful"); the held-out text is scored as written, line breaks included')
    model = CharRNN(config['arch'], config['vocabSize'], config['embeddingDim'], config['hiddenSize'], config['numLayers'])
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return model, config, vocab


def rnn_state(model, config):
    h = torch.zeros(config['numLayers'], 1, config['hiddenSize'])
    return (h, torch.zeros_like(h)) if config['arch'] == 'lstm' else h


@torch.no_grad()
def score_rnn(model, config, ids, chunk=2048):
    """Sum of −log p(ids[t] | ids[:t]) over t = 1..n−1, one stream whose state runs through the whole text."""
    x = torch.tensor(ids[:-1], dtype=torch.long).view(-1, 1)
    y = torch.tensor(ids[1:], dtype=torch.long)
    state = rnn_state(model, config)
    total = 0.0
    for i in range(0, x.size(0), chunk):
        logits, state = model(x[i:i + chunk], state)
        total += F.cross_entropy(logits[:, 0].double(), y[i:i + chunk], reduction='sum').item()
    return total


def special_mask(vocab):
    """−inf on tokens that are not one character ('<unk>', '<pad>'): a sample is text, as infer-web masks them when it generates."""
    return torch.tensor([0.0 if len(t) == 1 else -math.inf for t in vocab])


@torch.no_grad()
def sample_rnn(model, config, prompt_ids, n, temperature, generator, mask):
    state = rnn_state(model, config)
    logits, state = model(torch.tensor(prompt_ids, dtype=torch.long).view(-1, 1), state)
    last = logits[-1, 0]
    out = []
    for _ in range(n):
        token = torch.multinomial(F.softmax(last / temperature + mask, dim=-1), 1, generator=generator).item()
        out.append(token)
        logits, state = model(torch.tensor([[token]], dtype=torch.long), state)
        last = logits[-1, 0]
    return out


# ---- nanoGPT ----------------------------------------------------------------------------------

def load_nanogpt(directory):
    sys.path.insert(0, NANOGPT)
    from model import GPT, GPTConfig  # nanoGPT's own model definition, vendored as-is
    checkpoint = torch.load(os.path.join(directory, 'ckpt.pt'), map_location='cpu')
    with contextlib.redirect_stdout(sys.stderr):  # GPT() prints its size and an attention warning; stdout is this script's JSON
        model = GPT(GPTConfig(**checkpoint['model_args']))
    state = {k[len('_orig_mod.'):] if k.startswith('_orig_mod.') else k: v for k, v in checkpoint['model'].items()}
    model.load_state_dict(state)
    model.eval()
    meta_path = os.path.join(directory, '..', 'data', 'meta.pkl')
    with open(meta_path, 'rb') as f:
        meta = pickle.load(f)
    vocab = [meta['itos'][i] for i in range(meta['vocab_size'])]
    return model, checkpoint, vocab


@torch.no_grad()
def score_transformer(model, ids, block, stride, batch=64):
    """Sum of −log p(ids[t] | ids[max(0, t−block):t]) approximately: windows of `block` sliding by `stride` (see the module's doc)."""
    n = len(ids)
    data = torch.tensor(ids, dtype=torch.long)
    # Window k covers ids[s_k : s_k + block] and predicts ids[s_k + 1 : s_k + block + 1].
    last_start = max(0, n - 1 - block)
    starts = list(range(0, last_start + 1, stride))
    if starts[-1] != last_start:
        starts.append(last_start)
    total, scored, covered = 0.0, 0, 0  # covered: predictions of positions 1..covered already scored
    for b in range(0, len(starts), batch):
        group = starts[b:b + batch]
        length = min(block, n - 1 - group[0])
        x = torch.stack([data[s:s + length] for s in group])
        y = torch.stack([data[s + 1:s + 1 + length] for s in group])
        logits, _ = model(x, y)  # nanoGPT returns every position's logits when given targets
        logp = F.log_softmax(logits.double(), dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
        for row, s in enumerate(group):
            first_new = max(covered, s) + 1 - s  # predicted position s + j + 1 with j + 1 ≥ first_new is new
            j0 = first_new - 1
            total -= logp[row, j0:].sum().item()
            scored += length - j0
            covered = s + length
    assert scored == n - 1, (scored, n)
    return total


@torch.no_grad()
def sample_transformer(model, block, prompt_ids, n, temperature, generator, mask):
    idx = list(prompt_ids)
    for _ in range(n):
        x = torch.tensor([idx[-block:]], dtype=torch.long)
        logits, _ = model(x)
        token = torch.multinomial(F.softmax(logits[0, -1] / temperature + mask, dim=-1), 1, generator=generator).item()
        idx.append(token)
    return idx[len(prompt_ids):]


# ---- both -------------------------------------------------------------------------------------

def encode(text, vocab, where):
    stoi = {c: i for i, c in enumerate(vocab)}
    ids = [stoi.get(c, -1) for c in text]
    unknown = sum(1 for i in ids if i < 0)
    if unknown:
        if vocab[0] != '<unk>':
            missing = sorted({c for c in text if c not in stoi})
            raise EvaluationError(f'{where}: {unknown} characters of the held-out text are not in its vocabulary ({json.dumps("".join(missing[:20]))}) and it has no <unk> token')
        ids = [0 if i < 0 else i for i in ids]
    return ids, unknown


def evaluate(spec, text, a):
    kind, _, path = spec.partition(':')
    generator = torch.Generator().manual_seed(a.seed)
    if kind == 'charrnn':
        model, config, vocab = load_charrnn(path)
        ids, unknown = encode(text, vocab, path)
        total = score_rnn(model, config, ids)
        context = 'stateful: one stream from the zero state, state carried through the whole text'
        prompt = ids[:a.prompt_chars]
        sample = sample_rnn(model, config, prompt, a.sample_chars, a.temperature, generator, special_mask(vocab))
        extra = {'config': config}
    elif kind == 'nanogpt':
        model, checkpoint, vocab = load_nanogpt(path)
        ids, unknown = encode(text, vocab, path)
        block = checkpoint['model_args']['block_size']
        stride = a.stride or max(1, block // 8)
        if not 1 <= stride <= block:
            raise EvaluationError(f'--stride {stride} must be in [1, block_size {block}]')
        total = score_transformer(model, ids, block, stride)
        context = f'windows of block_size {block} sliding by {stride}: each character after the first window predicted from {block - stride + 1}–{block} characters before it'
        prompt = ids[:a.prompt_chars]
        sample = sample_transformer(model, block, prompt, a.sample_chars, a.temperature, generator, special_mask(vocab))
        extra = {'modelArgs': checkpoint['model_args'], 'iterNum': checkpoint['iter_num'], 'ownBestValLoss': float(checkpoint['best_val_loss'])}
    else:
        raise EvaluationError(f'model {spec!r}: kind {kind!r} is not charrnn or nanogpt; expected KIND:PATH')
    params = sum(p.numel() for p in model.parameters())
    return {
        'kind': kind, 'path': path, 'params': params, 'loss': total / (len(ids) - 1), 'unknown': unknown, 'context': context,
        'prompt': text[:a.prompt_chars], 'sample': ''.join(vocab[i] for i in sample), 'temperature': a.temperature, **extra,
    }


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    text = read_text(a.valid)
    if len(text) < 2:
        sys.exit(f'error: {a.valid} has {len(text)} characters; at least 2 are needed to score a prediction')
    try:
        models = [evaluate(spec, text, a) for spec in a.models]
    except EvaluationError as e:
        sys.exit(f'error: {e}')
    print(json.dumps({'validChars': len(text), 'scored': len(text) - 1, 'models': models}, indent=2, ensure_ascii=False))


if __name__ == '__main__':
    main()
