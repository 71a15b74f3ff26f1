#!/usr/bin/env python3
"""The lesson's stateful char models in PyTorch, a yardstick for @charrnn/train (not project code).

Same data pipeline as @charrnn/data (line split, char tokens with one <eos> per split, vocabulary
from the training split with <unk> and <pad> first, then characters by count and code point),
same batch-parallel streams and randomised BPTT lengths (p = 0.95 of bptt, else bptt/2, then
max(5, floor(N(base, 5)))), same model (embedding -> nn.RNN/GRU/LSTM -> linear) and Adam. The
random streams are NumPy's and PyTorch's, so losses agree with ours to within the seed spread,
not digit for digit.

Prints, before training, what torch multiplies with (one line, JSON after the word):
  anchor {"torch": ..., "blas_info": ..., "blas": [paths], "blas_threads": N, "torch_threads": N, "env": {...}}
the BLAS libraries mapped into this process (/proc/self/maps), the thread count the BLAS itself
reports, and the thread settings it was started with; train:bench refuses a figure whose anchor
is a crippled PyTorch. Then one line per epoch:
  epoch N trn_loss X val_loss Y train_chars_per_s Z train_chars_per_cpu_s W (Ts)
train_chars_per_s counts trained targets per wall second; train_chars_per_cpu_s per second of
this process's CPU time, which a busy machine disturbs less.

Needs Debian's python3-torch (and libopenblas0-pthread for its fast BLAS): run it with
/usr/bin/python3. --threads sizes torch's pool, not OpenBLAS's: set OPENBLAS_NUM_THREADS to the
same number (and OMP_WAIT_POLICY=PASSIVE above one thread), as train:bench does, or the two pools
fight over the cores.
"""
import argparse
import collections
import ctypes
import json
import math
import os
import re
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('corpus', help='text file (e.g. packages/data/corpus/nietzsche.txt)')
    p.add_argument('--arch', choices=['rnn', 'gru', 'lstm'], default='gru')
    p.add_argument('--embed', type=int, default=42)
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--layers', type=int, default=1)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--bptt', type=int, default=8)
    p.add_argument('--min-freq', type=int, default=3)
    p.add_argument('--valid-fraction', type=float, default=0.2)
    p.add_argument('--schedule', default='1@1e-3', help='epochs@lr phases, e.g. 6@1e-3,3@1e-4')
    p.add_argument('--max-batches', type=int, default=0, help='stop each epoch after this many batches (0: whole epochs)')
    p.add_argument('--no-valid', action='store_true', help='skip the validation pass')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args()


def read_lines(path):
    # Universal newlines, every line keeping its '\n', as @charrnn/data's readLines.
    with open(path, encoding='utf-8', newline=None) as f:
        return f.readlines()


def tokens_of(lines, lower=True):
    return [c for line in lines for c in (line.rstrip('\n').lower() if lower else line.rstrip('\n'))] + ['<eos>']


def build_vocab(tokens, min_freq):
    counts = collections.Counter(tokens)
    kept = sorted((c for c, n in counts.items() if n >= min_freq and c not in ('<unk>', '<pad>')), key=lambda c: (-counts[c], [ord(x) for x in c]))
    return ['<unk>', '<pad>'] + kept


def stream_matrix(ids, bs):
    """[rows, bs]: bs contiguous streams side by side, the tail that does not fill a row dropped."""
    rows = len(ids) // bs
    return torch.tensor(ids[:rows * bs], dtype=torch.long).view(bs, rows).t().contiguous()


def windows(matrix, bptt, rng, randomised):
    last = matrix.size(0) - 1
    pos = 0
    while pos < last - 1:
        if randomised:
            base = bptt if rng.random() < 0.95 else bptt / 2
            seq = max(5, int(math.floor(rng.normal(base, 5))))
        else:
            seq = bptt
        seq = min(seq, last - pos)
        yield matrix[pos:pos + seq], matrix[pos + 1:pos + 1 + seq]
        pos += seq


class CharModel(nn.Module):
    def __init__(self, arch, vocab, embed, hidden, layers):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = {'rnn': nn.RNN, 'gru': nn.GRU, 'lstm': nn.LSTM}[arch](embed, hidden, layers)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens, state):
        out, state = self.rnn(self.encoder(tokens), state)
        return self.decoder(out), state


def zero_state(arch, layers, bs, hidden):
    h = torch.zeros(layers, bs, hidden)
    return (h, torch.zeros_like(h)) if arch == 'lstm' else h


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def blas_anchor():
    """What this torch multiplies with, and with how many threads.

    Debian's torch links libblas.so.3, which the alternatives system points at OpenBLAS when
    libopenblas0-pthread is installed and at the reference BLAS (5-6x slower here) when it is not;
    a wheel's torch links MKL statically (BLAS_INFO=mkl, nothing mapped). `blas` is the mapped
    libblas.so* torch calls (else the first OpenBLAS/MKL/BLIS library mapped), as a real path."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    try:
        with open('/proc/self/maps') as f:
            paths = sorted({fields[5].strip() for fields in (line.split(None, 5) for line in f) if len(fields) == 6})
    except OSError:
        paths = []
    libraries = [p for p in paths if re.search(r'blas|lapack|mkl|blis', os.path.basename(p), re.I)]
    named = [p for p in libraries if os.path.basename(p).startswith('libblas.so')]
    others = [p for p in libraries if re.search(r'openblas|mkl|blis', os.path.basename(p), re.I)]
    threads = None
    for path in others:
        for symbol in ('openblas_get_num_threads', 'mkl_get_max_threads', 'bli_thread_get_num_threads'):
            try:
                threads = int(getattr(ctypes.CDLL(path), symbol)())
                break
            except (OSError, AttributeError):
                continue
        if threads is not None:
            break
    core = None
    for path in others:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            core = lib.openblas_get_corename().decode()
            break
        except (OSError, AttributeError):
            continue
    info = re.search(r'BLAS_INFO=(\w+)', torch.__config__.show())
    return {
        'torch': torch.__version__,
        'blas_info': info.group(1) if info else None,
        'blas': (named or others or [None])[0],
        'libraries': libraries,
        'blas_threads': threads,
        'blas_core': core,
        'torch_threads': torch.get_num_threads(),
        'env': {k: os.environ.get(k) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS', 'OPENBLAS_CORETYPE')},
    }


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    lines = read_lines(a.corpus)
    n_train = min(len(lines), math.ceil((1 - a.valid_fraction) * len(lines) - 1e-9))
    train_tokens = tokens_of(lines[:n_train])
    valid_tokens = tokens_of(lines[n_train:])
    itos = build_vocab(train_tokens, a.min_freq)
    stoi = collections.defaultdict(int, {c: i for i, c in enumerate(itos)})
    train = stream_matrix([stoi[t] for t in train_tokens], a.bs)
    valid = stream_matrix([stoi[t] for t in valid_tokens], a.bs)
    print(f'vocab {len(itos)} train tokens {len(train_tokens)} valid tokens {len(valid_tokens)} threads {torch.get_num_threads()}', flush=True)
    print(f'anchor {json.dumps(blas_anchor())}', flush=True)

    model = CharModel(a.arch, len(itos), a.embed, a.hidden, a.layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    phases = [(int(n), float(lr)) for n, lr in (p.split('@') for p in a.schedule.split(','))]
    for epoch, lr in enumerate(lr for n, lr in phases for _ in range(n)):
        for group in opt.param_groups:
            group['lr'] = lr
        model.train()
        state = zero_state(a.arch, a.layers, a.bs, a.hidden)
        loss_sum, targets = 0.0, 0
        wall, cpu = time.perf_counter(), time.process_time()
        for i, (x, y) in enumerate(windows(train, a.bptt, rng, True)):
            if a.max_batches and i >= a.max_batches:
                break
            logits, state = model(x, state)
            state = detach(state)
            loss = F.cross_entropy(logits.view(-1, len(itos)), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * y.numel()
            targets += y.numel()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        valid_loss = float('nan')
        if not a.no_valid:
            model.eval()
            state = zero_state(a.arch, a.layers, a.bs, a.hidden)
            v_sum, v_n = 0.0, 0
            with torch.no_grad():
                for x, y in windows(valid, a.bptt, rng, False):
                    logits, state = model(x, state)
                    v_sum += F.cross_entropy(logits.view(-1, len(itos)), y.reshape(-1), reduction='sum').item()
                    v_n += y.numel()
            valid_loss = v_sum / v_n
        print(f'epoch {epoch} trn_loss {loss_sum / targets:.4f} val_loss {valid_loss:.4f} '
              f'train_chars_per_s {targets / wall:.0f} train_chars_per_cpu_s {targets / cpu:.0f} ({wall:.1f}s)', flush=True)


if __name__ == '__main__':
    main()
