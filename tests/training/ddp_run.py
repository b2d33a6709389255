"""A smoke multitask run for the distributed tests, run as a script (alone or under torchrun).

    python tests/training/ddp_run.py DATA_DIR OUT.json [--sgd] [--runs-dir DIR]
                                     [--kill-rank R --kill-at-step K]

Dropout is off (the heads' by config, the encoder's by patching the loaded checkpoint), so
ranks differ only in the rows they train. ``--sgd`` trains with plain SGD
instead of AdamW (whose rescaling amplifies rounding differences between the two layouts).
Rank 0 writes the result to OUT.json. ``--kill-rank``/``--kill-at-step`` SIGKILL that rank at
the start of that step; with ``--runs-dir`` the run goes through ``run_or_load``, saving a
resume state every step, so a rerun resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import warnings
from pathlib import Path

import torch

import minbert_lab.training.loop as loop
import minbert_lab.training.trainee as trainee
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.training.optim import param_groups
from minbert_lab.training.trainee import Trainee

# L2 on paraphrase: its norm covers every weight, other heads' too, which DDP must see.
CONFIG = RunConfig(tasks={"sst": TaskConfig("linear", "cross_entropy"),
                          "para": TaskConfig("cross_encoder", "bce", "l2", 0.01),
                          "sts": TaskConfig("siamese_cosine", "mse")},
                   profile="smoke", epochs=2, max_length=16, dropout=0.0, lr=1e-3)


def _without_dropout(load):
    def loaded(*args, **kwargs):
        model = load(*args, **kwargs)
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
            if isinstance(getattr(module, "dropout_p", None), float):
                module.dropout_p = 0.0
        return model
    return loaded


def _sgd(model, config):
    return torch.optim.SGD(param_groups(model, config), lr=config.lr)


def _kill_at(step: int) -> None:
    real, steps_seen = Trainee.loss, []

    def loss(self, *args, **kwargs):
        steps_seen.append(1)
        if len(steps_seen) == step + 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *args, **kwargs)

    Trainee.loss = loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sgd", action="store_true")
    parser.add_argument("--runs-dir", type=Path)
    parser.add_argument("--kill-rank", type=int)
    parser.add_argument("--kill-at-step", type=int)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    trainee.MinBert.from_pretrained = _without_dropout(trainee.MinBert.from_pretrained)
    if args.sgd:
        loop.make_optimizer = _sgd
    if args.kill_rank is not None and int(os.environ.get("RANK", 0)) == args.kill_rank:
        _kill_at(args.kill_at_step)
    if args.runs_dir is not None:
        result = run_or_load(CONFIG, data_dir=args.data_dir, runs_dir=args.runs_dir,
                             progress=False, resume_every=1)
    else:
        result = loop.train(CONFIG, data_dir=args.data_dir, progress=False)
    if int(os.environ.get("RANK", 0)) == 0:
        args.out.write_text(json.dumps({k: result[k] for k in (
            "metrics", "history", "resumed_at_steps", "timings")}))


if __name__ == "__main__":
    main()
