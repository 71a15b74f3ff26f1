#!/usr/bin/env python3
"""A strong PyTorch character RNN for a wall-time budget, a yardstick for `train:quality` (not project code).

The recipe of Karpathy's char-rnn (a 2-layer recurrent net, dropout, gradient clipping,
truncated BPTT over batch-parallel stateful streams), with what later work added for small
corpora: Adam, locked dropout on the embeddings and the recurrent output (the same mask over a
window, as AWD-LSTM), a linear warm-up and a cosine learning rate that ends at the deadline, and
the validation loss checked in the last half of the run so that the best weights are kept.

Its defaults (GRU 2 x 256, embedding 64, dropout 0.1, 32 streams, BPTT 32, lr 3e-3 -> 1e-4) won
among nine recipes trained for 2 CPU-minutes each on the embedded corpus (tools/pytorch-reference/
README.md lists them), GRU over LSTM and BPTT 32 over 64 and 128; 32 streams replaced the sweep's
16 when, on a quiet machine at 2 threads, they trained 1.5x the characters in the same 30 s and
reached a lower loss (README.md).

    charrnn.py TRAIN_TEXT --valid VALID_TEXT --minutes M --out DIR [--threads N]

TRAIN_TEXT is read as written (newlines and case kept, UTF-8). The vocabulary is '<unk>' then the
training text's characters by code point; a validation character the training text lacks is read
as '<unk>'. The run ends when M minutes have passed since this process started (so startup and
the final save count), and writes DIR/model.safetensors in contract 1's names and layouts
(docs/checkpoint.md: encoder.weight, rnn.weight_ih_l{k} ..., decoder.weight/bias and the
charrnn.config / charrnn.vocab / charrnn.lower / charrnn.text metadata) and DIR/train.json (recipe, steps,
characters trained, validation checks). DIR must not exist.

Threads: --threads sizes torch's pool; OpenBLAS's and OpenMP's are sized by OPENBLAS_NUM_THREADS
and OMP_NUM_THREADS, which the caller sets to the same number (tools/quality.mjs does). Before
training it prints lesson.py's `anchor {json}` line (the BLAS torch calls and the pools' sizes),
which tools/quality.mjs checks with train:bench's anchorProblems.
"""
import time

STARTED = time.time()  # before torch's import, which takes a second or two of the budget

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from lesson import blas_anchor  # what torch multiplies with, checked by the caller (packages/train/bench/anchor.ts)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('train', help='training text (UTF-8, read as written)')
    p.add_argument('--valid', required=True, help='validation text, checked in the last half of the run to keep the best weights')
    p.add_argument('--minutes', type=float, required=True, help='wall-time budget from process start')
    p.add_argument('--out', required=True, help='checkpoint directory to create (must not exist)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--arch', choices=['gru', 'lstm'], default='gru')
    p.add_argument('--embed', type=int, default=64)
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--dropout', type=float, default=0.1, help='locked dropout on embeddings, between layers and on the output')
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--bptt', type=int, default=32)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--min-lr', type=float, default=1e-4)
    p.add_argument('--warmup', type=float, default=0.03, help='fraction of the budget spent warming the learning rate up')
    p.add_argument('--clip', type=float, default=1.0, help='global gradient norm clip')
    p.add_argument('--clock', choices=['wall', 'cpu'], default='wall', help="what the budget counts: wall time from process start, or this process's CPU time (for tuning on a busy machine)")
    p.add_argument('--checks', type=int, default=3, help='validation checks in the last half of the run (the last one at the deadline)')
    p.add_argument('--check-chars', type=int, default=20000, help='characters of the validation text each check reads')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    problems = []
    if not (a.minutes > 0 and math.isfinite(a.minutes)):
        problems.append(f'--minutes {a.minutes} must be a positive number')
    if not (0 <= a.dropout < 1):
        problems.append(f'--dropout {a.dropout} must be in [0, 1)')
    for name in ('threads', 'embed', 'hidden', 'layers', 'bs', 'bptt', 'checks', 'check_chars'):
        if getattr(a, name) < 1:
            problems.append(f"--{name.replace('_', '-')} {getattr(a, name)} must be a positive integer")
    if os.path.exists(a.out):
        problems.append(f'--out {a.out} exists; give a new directory (a run is never overwritten)')
    if problems:
        p.error('; '.join(problems))
    return a


def read_text(path):
    with open(path, encoding='utf-8', newline='') as f:
        return f.read()


class LockedDropout(nn.Module):
    """One dropout mask per sequence, shared by every time step of the window ([seq, batch, features])."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - self.p) / (1 - self.p)
        return x * mask


class CharRNN(nn.Module):
    """Contract 1's model (encoder, rnn, decoder) with parameter-free dropout around the recurrent layers."""

    def __init__(self, arch, vocab, embed, hidden, layers, dropout):
        super().__init__()
        self.encoder = nn.Embedding(vocab, embed)
        self.rnn = {'gru': nn.GRU, 'lstm': nn.LSTM}[arch](embed, hidden, layers, dropout=dropout if layers > 1 else 0)
        self.decoder = nn.Linear(hidden, vocab)
        self.drop_in = LockedDropout(dropout)
        self.drop_out = LockedDropout(dropout)
        if arch == 'lstm':
            # Forget gates start open (bias 1; Jozefowicz et al. 2015), so memory lasts from the first steps.
            hidden = self.rnn.hidden_size
            with torch.no_grad():
                for k in range(layers):
                    getattr(self.rnn, f'bias_ih_l{k}')[hidden:2 * hidden].fill_(1.0)
                    getattr(self.rnn, f'bias_hh_l{k}')[hidden:2 * hidden].zero_()

    def forward(self, tokens, state):
        out, state = self.rnn(self.drop_in(self.encoder(tokens)), state)
        return self.decoder(self.drop_out(out)), state


def zero_state(arch, layers, bs, hidden):
    h = torch.zeros(layers, bs, hidden)
    return (h, torch.zeros_like(h)) if arch == 'lstm' else h


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def learning_rate(a, progress):
    """Linear warm-up over the first `warmup` of the budget, then cosine from lr to min_lr at the deadline."""
    if progress < a.warmup:
        return a.lr * max(progress / a.warmup, 0.01)
    t = min(1.0, (progress - a.warmup) / (1 - a.warmup))
    return a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def valid_loss(model, a, ids):
    """Mean cross-entropy (nats/char) over the validation text as 16 stateful streams (a quick check; tools/quality/evaluate.py scores it as one)."""
    model.eval()
    streams = 16
    rows = (len(ids) - 1) // streams
    x = torch.tensor(ids[:rows * streams], dtype=torch.long).view(streams, rows).t()
    y = torch.tensor(ids[1:rows * streams + 1], dtype=torch.long).view(streams, rows).t()
    state = zero_state(a.arch, a.layers, streams, a.hidden)
    total = 0.0
    for i in range(0, rows, 512):
        logits, state = model(x[i:i + 512], state)
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[i:i + 512].reshape(-1), reduction='sum').item()
    model.train()
    return total / (rows * streams)


def write_safetensors(path, tensors, metadata):
    """The safetensors layout (docs/checkpoint.md): u64 LE header length, JSON header padded with spaces to 8 bytes, float32 LE data."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors:
        data = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    a = parse_args()
    clock = time.time if a.clock == 'wall' else time.process_time
    deadline = (STARTED if a.clock == 'wall' else 0.0) + a.minutes * 60 - 1.0  # leave a second for the final save
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    text = read_text(a.train)
    vocab = ['<unk>'] + sorted(set(text))
    stoi = {c: i for i, c in enumerate(vocab)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    # The checks read the validation text's first --check-chars characters: enough to rank two
    # weights of one run, and a bounded cost however large the corpus (the full text is scored
    # afterwards by tools/quality/evaluate.py).
    valid = [stoi.get(c, 0) for c in read_text(a.valid)[:a.check_chars]]
    rows = (len(ids) - 1) // a.bs
    if rows < a.bptt + 1:
        sys.exit(f'error: the training text ({len(ids)} chars) is too short for {a.bs} streams of bptt {a.bptt}; expected at least {a.bs * (a.bptt + 1) + 1} chars')
    x_all = torch.from_numpy(ids[:rows * a.bs].reshape(a.bs, rows).T.copy())
    y_all = torch.from_numpy(ids[1:rows * a.bs + 1].reshape(a.bs, rows).T.copy())

    model = CharRNN(a.arch, len(vocab), a.embed, a.hidden, a.layers, a.dropout)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    print(f'vocab {len(vocab)} train chars {len(ids)} valid chars {len(valid)} params {params} threads {torch.get_num_threads()}', flush=True)
    print(f'anchor {json.dumps(blas_anchor())}', flush=True)

    start = clock()
    budget = deadline - start
    if budget <= 0:
        sys.exit(f'error: --minutes {a.minutes} leaves no time to train after startup ({start - STARTED:.1f} s)')
    checks = [0.5 + 0.5 * (k + 1) / a.checks for k in range(a.checks)]
    history, best, best_loss = [], None, math.inf
    step, chars, epoch, loss_sum, loss_n = 0, 0, 0, 0.0, 0
    model.train()
    done = False
    while not done:
        # Each epoch starts the streams from zeros at a random offset, so window edges move.
        state = zero_state(a.arch, a.layers, a.bs, a.hidden)
        pos = int(rng.integers(0, a.bptt))
        while pos < rows - 1:
            progress = (clock() - start) / budget
            if progress >= checks[0]:
                loss = valid_loss(model, a, valid)
                history.append({'progress': round(checks[0], 4), 'step': step, 'chars': chars, 'validLoss': loss, 'trainLoss': loss_sum / max(loss_n, 1), 'seconds': time.time() - STARTED})
                print(f'check {len(history)}/{a.checks} step {step} chars {chars} trn_loss {loss_sum / max(loss_n, 1):.4f} val_loss {loss:.4f} ({time.time() - STARTED:.0f}s)', flush=True)
                loss_sum, loss_n = 0.0, 0
                if loss < best_loss:
                    best_loss, best = loss, {k: v.detach().clone() for k, v in model.state_dict().items()}
                # A check that took the time of the next ones (a slow machine) replaces them.
                now = (clock() - start) / budget
                checks = [c for c in checks[1:] if c > now]
                if not checks:
                    done = True
                    break
                continue
            lr = learning_rate(a, progress)
            for group in opt.param_groups:
                group['lr'] = lr
            seq = min(a.bptt, rows - 1 - pos)
            logits, state = model(x_all[pos:pos + seq], state)
            state = detach(state)
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y_all[pos:pos + seq].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            step += 1
            chars += seq * a.bs
            loss_sum += loss.item() * seq * a.bs
            loss_n += seq * a.bs
            pos += seq
        epoch += 1

    os.makedirs(a.out)
    state_dict = best if best is not None else model.state_dict()
    config = {'arch': a.arch, 'vocabSize': len(vocab), 'embeddingDim': a.embed, 'hiddenSize': a.hidden, 'numLayers': a.layers, 'dropout': a.dropout if a.layers > 1 else 0}
    order = ['encoder.weight'] + [k for k in state_dict if k.startswith('rnn.')] + ['decoder.weight', 'decoder.bias']
    write_safetensors(os.path.join(a.out, 'model.safetensors'), [(k, state_dict[k]) for k in order],
                      {'charrnn.config': json.dumps(config), 'charrnn.vocab': json.dumps(vocab, ensure_ascii=False), 'charrnn.lower': 'false', 'charrnn.text': 'faithful'})
    recipe = {k: getattr(a, k) for k in ('arch', 'embed', 'hidden', 'layers', 'dropout', 'bs', 'bptt', 'lr', 'min_lr', 'warmup', 'clip', 'seed', 'threads', 'check_chars')}
    report = {'recipe': recipe, 'params': params, 'steps': step, 'charsTrained': chars, 'epochs': chars / (rows * a.bs),
              'bestValidLoss': best_loss, 'checks': history, 'seconds': time.time() - STARTED}
    with open(os.path.join(a.out, 'train.json'), 'w') as f:
        json.dump(report, f, indent=2)
    print(f'done: {step} steps, {chars} chars, best val_loss {best_loss:.4f} in {time.time() - STARTED:.1f}s; checkpoint in {a.out}', flush=True)


if __name__ == '__main__':
    main()
