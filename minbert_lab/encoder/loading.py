"""Copying a Hugging Face BERT checkpoint into ``MinBert``, key for key.

Because ``MinBert`` keeps Hugging Face's parameter names, loading needs no renaming table: read
the tensors, normalise the few historical spellings, check that the key sets and shapes agree,
and copy. Any disagreement raises one ``ValueError`` naming the offending keys.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")  # in order of preference
# Pretraining heads (masked LM, next sentence) are not part of the encoder.
IGNORED_PREFIXES = ("cls.",)
# Buffers, not weights: arange(max_positions) and zeros, rebuilt by the model itself. Older
# transformers versions saved them, newer ones do not, so their presence means nothing.
IGNORED_KEYS = ("embeddings.position_ids", "embeddings.token_type_ids")
SHOW = 5  # how many keys an error message lists before summarising with a count


class DamagedWeightsError(OSError):
    """A weights file that cannot be read whole (truncated, edited, not a weights file)."""


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of one ``.safetensors`` or ``.bin`` file, on the CPU.

    Raises:
        DamagedWeightsError: one line naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            return load_file(path, device="cpu")
        # weights_only: a .bin is a pickle, and a pickle from the hub could run code.
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # safetensors, pickle and zip raise their own types
        reason = " ".join(str(err).split())[:160] or type(err).__name__
        raise DamagedWeightsError(
            f"{path} is damaged or not a weights file ({reason}); restore it, or point to "
            "another model") from None


def read_state_dict(folder: str | Path) -> dict[str, torch.Tensor]:
    """Reads a checkpoint's tensors, preferring ``model.safetensors`` over ``pytorch_model.bin``.

    Raises:
        FileNotFoundError: the folder holds neither file.
        DamagedWeightsError: the file is there but cannot be read whole.
    """
    folder = Path(folder)
    for name in WEIGHT_FILES:
        path = folder / name
        if path.is_file():
            return read_weights(path)
    raise FileNotFoundError(f"{folder} holds no weights: looked for {list(WEIGHT_FILES)}")


def normalise_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Maps historical key spellings onto ``BertModel``'s and drops non-encoder entries.

    Strips the ``bert.`` prefix of task models (hub ``bert-base-uncased`` is a
    ``BertForPreTraining``), renames TensorFlow-era ``LayerNorm.gamma``/``beta`` to
    ``weight``/``bias``, and drops pretraining heads and buffers.
    """
    out = {}
    for key, tensor in state.items():
        key = key.removeprefix("bert.")
        key = key.replace("LayerNorm.gamma", "LayerNorm.weight")
        key = key.replace("LayerNorm.beta", "LayerNorm.bias")
        if key in IGNORED_KEYS or key.startswith(IGNORED_PREFIXES):
            continue
        out[key] = tensor
    return out


def copy_state_dict(model: nn.Module, state: dict[str, torch.Tensor], source: str = "") -> None:
    """Copies ``state`` into ``model`` after checking key count, names and shapes.

    Raises:
        ValueError: keys are missing, unexpected, or of the wrong shape; all are named.
    """
    expected = model.state_dict()
    missing = sorted(expected.keys() - state.keys())
    unexpected = sorted(state.keys() - expected.keys())
    wrong_shape = [
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(expected[k].shape)})"
        for k in sorted(expected.keys() & state.keys())
        if state[k].shape != expected[k].shape
    ]
    problems = [
        f"{len(keys)} {what}: {_first(keys)}"
        for what, keys in [
            ("missing keys", missing),
            ("unexpected keys", unexpected),
            ("shape mismatches", wrong_shape),
        ]
        if keys
    ]
    if not problems:
        # Same names and shapes both ways, so this is a plain copy; dtypes are cast to the
        # model's (a float16 checkpoint loads into a float32 model).
        model.load_state_dict(state, strict=True)
        return
    hint = ""
    if any(k.startswith("pooler.") for k in missing):
        hint = " (this checkpoint has no pooler: pass add_pooler=False)"
    where = f" {source}" if source else ""
    raise ValueError(
        f"checkpoint{where} does not fit the model ({len(state)} tensors for"
        f" {len(expected)} parameters): " + "; ".join(problems) + hint
    )


def load_weights(model: nn.Module, folder: str | Path) -> None:
    """Reads, normalises and copies a folder's checkpoint into a ``MinBert``.

    A model built without a pooler ignores the checkpoint's pooler weights.
    """
    state = normalise_keys(read_state_dict(folder))
    if getattr(model, "pooler", None) is None:
        state = {k: v for k, v in state.items() if not k.startswith("pooler.")}
    copy_state_dict(model, state, source=str(folder))


def _first(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOW])
    return shown + (f", ... ({len(keys) - SHOW} more)" if len(keys) > SHOW else "")
