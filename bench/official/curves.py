#!/usr/bin/python3
"""The authors' SQUID code as a measuring stick: its learning curve on the
shared ZhangLab data, epoch by epoch, in the same numbers as squid-ts's
log.jsonl (validation AUC of the discriminator, residual and input scores,
and the training losses).

Nothing here is part of squid-ts: it drives ../shared/reference/official-squid
(their MIT code, made CPU-runnable) through its own run-zhanglab.sh and reads
its models back with its own classes. Needs Debian's python3-torch and friends
(see that folder's README).

  /usr/bin/python3 bench/official/curves.py train EXP EPOCHS WORK
      runs run-zhanglab.sh EXP EPOCHS WORK and copies the model and the
      discriminator after each epoch to WORK/snapshots/EXP/epoch-K/
  /usr/bin/python3 bench/official/curves.py eval EXP WORK
      scores every snapshot on the validation split and writes
      WORK/snapshots/EXP/curve.json (one row per epoch)

SQUID_THREADS sets torch's threads (the reference reads it too).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'reference', 'official-squid'))


def snapshot_dir(work, exp):
    return os.path.join(work, 'snapshots', exp)


def train(exp, epochs, work):
    """Runs the reference and snapshots model_latest.pth each time it is rewritten."""
    ckpt = os.path.join(work, 'checkpoints', exp)
    out = snapshot_dir(work, exp)
    if os.path.exists(out):
        sys.exit(f'{out} exists: choose another EXP or remove it')
    os.makedirs(out)
    proc = subprocess.Popen(['sh', os.path.join(REFERENCE, 'run-zhanglab.sh'), exp, str(epochs), work])
    seen = 0.0
    epoch = 0

    def grab():
        nonlocal seen, epoch
        model = os.path.join(ckpt, 'model_latest.pth')
        disc = os.path.join(ckpt, 'discriminator_latest.pth')
        if not (os.path.exists(model) and os.path.exists(disc)):
            return
        m = os.path.getmtime(model)
        if m <= seen:
            return
        time.sleep(5)  # let both files finish (the reference writes the model last)
        epoch += 1
        dst = os.path.join(out, f'epoch-{epoch}')
        os.makedirs(dst)
        shutil.copy(disc, os.path.join(dst, 'discriminator.pth'))
        shutil.copy(model, os.path.join(dst, 'model.pth'))
        seen = os.path.getmtime(model)
        print(f'[curves] snapshot of epoch {epoch}', flush=True)

    while proc.poll() is None:
        grab()
        time.sleep(2)
    grab()
    shutil.copy(os.path.join(ckpt, 'log.txt'), os.path.join(out, 'log.txt'))
    sys.exit(proc.returncode)


def parse_log(path):
    """Per-epoch training losses and the reference's own validation AUC, from its log.txt."""
    rows = {}
    epoch = None
    for line in open(path):
        m = re.match(r'Epoch: (\d+) \[TRAIN\](.*)\[VAL\]', line)
        if m:
            epoch = int(m.group(1)) + 1
            rows[epoch] = {k: float(v) for k, v in re.findall(r'(\w+): ([-\d.e]+)', m.group(2))}
            continue
        m = re.match(r'\[VAL metrics\] (.*)', line)
        if m and epoch is not None:
            rows[epoch]['reported'] = {k: float(v) for k, v in re.findall(r'(\w+): ([-\d.e]+)', m.group(1))}
    return rows


def evaluate(exp, work):
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score
    torch.set_num_threads(int(os.environ.get('SQUID_THREADS', 2)))
    os.chdir(work)
    sys.path.insert(0, work)
    os.environ['SQUID_DATA_ROOT'] = os.path.join(work, 'data')
    import importlib
    from models.squid import AE
    from tools import build_disc
    C = importlib.import_module('configs.zhang_best').Config()
    out = snapshot_dir(work, exp)
    log = parse_log(os.path.join(out, 'log.txt'))
    rows = []
    epochs = sorted(int(d.split('-')[1]) for d in os.listdir(out) if d.startswith('epoch-'))
    for k in epochs:
        model = AE(1, 32, C.shrink_thres, num_slots=C.num_slots, num_patch=C.num_patch, level=C.level,
                   ratio=C.mask_ratio, initial_combine=C.initial_combine, drop=C.drop, dist=C.dist,
                   memory_channel=C.memory_channel, mem_num_slots=C.mem_num_slots, ops=C.ops,
                   decoder_memory=C.decoder_memory)
        model.load_state_dict(torch.load(os.path.join(out, f'epoch-{k}', 'model.pth'), map_location='cpu'))
        disc = build_disc(C)
        disc.load_state_dict(torch.load(os.path.join(out, f'epoch-{k}', 'discriminator.pth'), map_location='cpu'))
        model.eval()  # as the reference's val(): the discriminator stays in train mode
        scores = {'discriminator': [], 'residual': [], 'input': []}
        labels = []
        with torch.no_grad():
            for img, label in C.val_loader:
                recon = model(img)['recon']
                scores['discriminator'].append(float(disc(recon).reshape(-1)[0]))
                scores['input'].append(float(disc(img).reshape(-1)[0]))
                scores['residual'].append(-float(torch.mean((recon - img) ** 2)))
                labels.append(int(label.reshape(-1)[0]))
        y = np.array(labels)
        # label 1 = abnormal; our scores are normality (higher = more normal), so AUC of -score
        auc = {name: round(float(roc_auc_score(y, -np.array(s))), 4) for name, s in scores.items()}
        row = {'epoch': k, 'valAuc': auc, **log.get(k, {})}
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(os.path.join(out, 'curve.json'), 'w') as f:
        json.dump(rows, f, indent=1)


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'train':
        train(sys.argv[2], int(sys.argv[3]), os.path.abspath(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == 'eval':
        evaluate(sys.argv[2], os.path.abspath(sys.argv[3]))
    else:
        sys.exit(__doc__)
