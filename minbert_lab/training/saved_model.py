"""A trained multitask model on disk: the best epoch's weights, the run's config, the tokenizer.

The folder is itself a Hugging Face BERT folder, so it loads offline the way every checkpoint
does (``AutoTokenizer.from_pretrained(folder)``, ``MinBert.from_pretrained(folder)``) and can
even start another run (``--checkpoint folder``):

====================  ==========================================================================
``config.json``       the encoder's shape (the starting checkpoint's, copied)
``model.safetensors`` the fine-tuned encoder, under Hugging Face's BERT parameter names
``heads.safetensors`` the task heads and the shared trunk (``MultitaskModel`` names)
tokenizer files       ``vocab.txt``, ``tokenizer.json``, ... copied from the checkpoint, so token
                      ids are the run's (and the tokenized-data cache is shared with it)
``run.json``          the run's config, its cache key, the best epoch and its dev metrics;
                      written last, so a folder without it is incomplete
====================  ==========================================================================

Example:
    >>> saved = load_model("models/best")
    >>> saved.config.tasks.keys(), saved.info["metrics"]["score"]
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save

import minbert_lab
from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.config import RunConfig
from minbert_lab.encoder import MinBert
from minbert_lab.encoder.loading import read_weights
from minbert_lab.files import atomic_write
from minbert_lab.model import MultitaskModel

ENCODER_FILE, HEADS_FILE, RUN_FILE = "model.safetensors", "heads.safetensors", "run.json"
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                   "special_tokens_map.json", "added_tokens.json")
_ENCODER = "encoder."  # MultitaskModel's prefix for the BERT encoder's parameters


@dataclass
class SavedModel:
    """A model read back by :func:`load_model`, in eval mode."""

    model: MultitaskModel
    config: RunConfig
    info: dict  # run.json: config, key, epoch, metrics, minbert_lab
    folder: Path


def best_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of ``model``'s weights, kept when an epoch is the best so far."""
    return {name: t.detach().to("cpu", copy=True) for name, t in model.state_dict().items()}


def save_model(folder: Path | str, state: dict[str, torch.Tensor], config: RunConfig, *,
               metrics: dict, key: str | None = None) -> Path:
    """Writes a multitask model's weights ``state`` (``MultitaskModel.state_dict()`` names) with
    the config, cache key and best-epoch ``metrics`` of the run that trained it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RUN_FILE).unlink(missing_ok=True)  # incomplete until the new one is written
    encoder = {k.removeprefix(_ENCODER): v.contiguous() for k, v in state.items()
               if k.startswith(_ENCODER)}
    heads = {k: v.contiguous() for k, v in state.items() if not k.startswith(_ENCODER)}
    atomic_write(folder / ENCODER_FILE, save(encoder, metadata={"format": "pt"}))
    atomic_write(folder / HEADS_FILE, save(heads, metadata={"format": "pt"}))
    checkpoint = resolve_checkpoint(config.checkpoint)
    for name in ("config.json", *TOKENIZER_FILES):
        if (checkpoint / name).is_file() and checkpoint.resolve() != folder.resolve():
            shutil.copyfile(checkpoint / name, folder / name)
    info = {"config": config.resolved().to_dict(), "key": key, "epoch": metrics.get("epoch"),
            "metrics": metrics, "minbert_lab": minbert_lab.__version__}
    atomic_write(folder / RUN_FILE, json.dumps(info, indent=2) + "\n")
    return folder


def saved_info(folder: Path | str) -> dict | None:
    """``run.json`` of a complete saved model; ``None`` when there is none or it is unreadable."""
    path = Path(folder) / RUN_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_model(folder: Path | str, device: str | torch.device = "cpu") -> SavedModel:
    """Reads a folder :func:`save_model` wrote; nothing is fetched from the network.

    Raises:
        FileNotFoundError: no complete saved model in ``folder``.
        DamagedWeightsError: a weights file is there but cannot be read whole.
        ValueError: the heads do not fit the config (the keys are named).
    """
    folder = Path(folder)
    info = saved_info(folder)
    if info is None or not (folder / HEADS_FILE).is_file():
        raise FileNotFoundError(f"{folder} holds no saved model (no {RUN_FILE} or "
                                f"{HEADS_FILE}): save one with `python -m minbert_lab run ... "
                                "--save-model FOLDER`")
    config = RunConfig.from_dict(info["config"])
    encoder = MinBert.from_pretrained(folder, add_pooler=False)
    model = MultitaskModel.from_config(encoder, config)
    heads = read_weights(folder / HEADS_FILE)
    expected = {k for k in model.state_dict() if not k.startswith(_ENCODER)}
    if set(heads) != expected:
        missing, unexpected = sorted(expected - set(heads)), sorted(set(heads) - expected)
        raise ValueError(f"{folder / HEADS_FILE} does not fit the run's config: missing "
                         f"{missing}, unexpected {unexpected}")
    model.load_state_dict(heads, strict=False)  # the encoder's keys were loaded above
    return SavedModel(model.to(device).eval(), config, info, folder)
