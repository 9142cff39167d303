#!/usr/bin/python3
"""Side-by-side learning curves: squid-ts runs (their log.jsonl) against the
authors' code (curve.json from curves.py eval), as a Markdown table.

  python3 bench/official/compare.py --ours RUN [RUN ...] --theirs CURVE.json [CURVE.json ...] [--epochs 4]

Rows: epoch x side x seed. Columns: validation AUC of the discriminator,
residual and input scores, and the training losses: weighted as in the
total loss, means per step over the epoch (the reference's generator-side
means are rescaled to per generator step, see theirs()).
"""
import argparse
import json
import os


def ours(run):
    rows = {}
    for line in open(os.path.join(run, 'log.jsonl')):
        line = line.strip()
        if not line:
            continue
        e = json.loads(line)
        if e.get('partial'):
            continue
        rows[e['epoch'] + 1] = {
            'auc': e.get('valAuc', {}),
            'losses': {k: e['losses'].get(k) for k in ('reconstruction', 'discriminator', 'adversarial', 'distillation', 'teacher')},
            'iterations': e['iterations'],
        }
    return rows


def theirs(curve):
    rows = {}
    for e in json.load(open(curve)):
        # The reference logs its losses weighted as in the total, as squid-ts does, but divides the
        # generator's (taken every n_critic = 2 iterations) by all iterations: x2 gives the mean per step.
        g = lambda k: None if e.get(k) is None else 2 * e[k]
        rows[e['epoch']] = {
            'auc': e['valAuc'],
            'losses': {'reconstruction': g('recon_loss'), 'discriminator': e.get('d_loss'), 'adversarial': g('g_loss'),
                       'distillation': g('dist_loss'), 'teacher': g('t_recon_loss')},
            'iterations': None,
        }
    return rows


def fmt(v, digits=3):
    return '' if v is None else (f'{v:.{digits}f}' if abs(v) >= 1e-2 or v == 0 else f'{v:.2e}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ours', nargs='+', default=[])
    ap.add_argument('--theirs', nargs='+', default=[])
    ap.add_argument('--epochs', type=int, default=4)
    a = ap.parse_args()
    sides = [('squid-ts', os.path.basename(os.path.normpath(r)), ours(r)) for r in a.ours]
    sides += [('authors', os.path.basename(os.path.dirname(os.path.abspath(c))), theirs(c)) for c in a.theirs]
    print('| epoch | code | run | AUC discriminator | AUC residual | AUC input | reconstruction | discriminator loss | adversarial | distillation |')
    print('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for ep in range(1, a.epochs + 1):
        for side, name, rows in sides:
            r = rows.get(ep)
            if r is None:
                continue
            auc, l = r['auc'], r['losses']
            print(f"| {ep} | {side} | {name} | {fmt(auc.get('discriminator'))} | {fmt(auc.get('residual'))} | {fmt(auc.get('input'))} | "
                  f"{fmt(l['reconstruction'], 4)} | {fmt(l['discriminator'], 4)} | {fmt(l['adversarial'], 4)} | {fmt(l['distillation'], 4)} |")


if __name__ == '__main__':
    main()
