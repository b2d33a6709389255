"""A saved model: written as a Hugging Face BERT folder plus heads and run.json, read back
offline to the same weights; train() keeps the best epoch's weights, not the last one's."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from smoke_configs import SST_SMOKE

import minbert_lab.training.loop as loop
from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.config import RunConfig, default_task
from minbert_lab.encoder import MinBert
from minbert_lab.encoder.bert_config import BertConfig
from minbert_lab.model import MultitaskModel
from minbert_lab.training.saved_model import (
    ENCODER_FILE,
    HEADS_FILE,
    RUN_FILE,
    best_state,
    load_model,
    save_model,
    saved_info,
)

TINY = {"vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 64, "model_type": "bert"}


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    """A small random BERT folder with the bundled checkpoint's tokenizer files."""
    folder = tmp_path / "tiny-bert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(TINY))
    bundled = resolve_checkpoint()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json"):
        shutil.copyfile(bundled / name, folder / name)
    torch.manual_seed(0)
    encoder = MinBert(BertConfig.from_dict(TINY), add_pooler=False)
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()},
              folder / "model.safetensors")
    return folder


def _model(config: RunConfig) -> MultitaskModel:
    torch.manual_seed(1)
    encoder = MinBert.from_pretrained(config.checkpoint, add_pooler=False)
    return MultitaskModel.from_config(encoder, config)


def test_saved_weights_config_and_tokenizer_load_back_offline(tiny_checkpoint, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tasks = {t: default_task(t) for t in ("sst", "para", "sts")}
    config = RunConfig(tasks=tasks, profile="smoke", checkpoint=str(tiny_checkpoint),
                       shared_trunk=True)
    model = _model(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))  # "trained": not the checkpoint's weights
    folder = save_model(tmp_path / "saved", best_state(model), config,
                        metrics={"score": 0.5, "epoch": 1}, key="abc")

    assert {ENCODER_FILE, HEADS_FILE, RUN_FILE, "config.json", "vocab.txt",
            "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    info = saved_info(folder)
    assert info["key"] == "abc" and info["epoch"] == 1 and info["config"]["epochs"] == 1
    saved = load_model(folder)
    assert saved.config == config.resolved() and not saved.model.training
    expected, loaded = model.state_dict(), saved.model.state_dict()
    assert expected.keys() == loaded.keys()
    assert all(torch.equal(expected[k], loaded[k]) for k in expected)

    # The folder is a Hugging Face BERT folder: our encoder and the tokenizer load from it.
    from transformers import AutoTokenizer

    encoder = MinBert.from_pretrained(folder, add_pooler=False)
    assert torch.equal(encoder.state_dict()["embeddings.word_embeddings.weight"],
                       expected["encoder.embeddings.word_embeddings.weight"])
    ids = AutoTokenizer.from_pretrained(folder)("a good movie")["input_ids"]
    assert ids == AutoTokenizer.from_pretrained(tiny_checkpoint)("a good movie")["input_ids"]


def test_a_folder_without_a_saved_model_is_refused_with_the_flag_to_use(tmp_path):
    with pytest.raises(FileNotFoundError, match="--save-model"):
        load_model(tmp_path)
    assert saved_info(tmp_path) is None


def test_heads_that_do_not_fit_the_config_are_named(tiny_checkpoint, tmp_path):
    config = RunConfig(tasks={"sst": default_task("sst")}, profile="smoke",
                       checkpoint=str(tiny_checkpoint))
    folder = save_model(tmp_path / "saved", best_state(_model(config)), config,
                        metrics={"score": 0.5, "epoch": 0})
    info = json.loads((folder / RUN_FILE).read_text())
    info["config"]["tasks"]["para"] = {**info["config"]["tasks"]["sst"], "head": "cross_encoder",
                                       "loss": "bce"}
    (folder / RUN_FILE).write_text(json.dumps(info))
    with pytest.raises(ValueError, match=r"missing \['heads\.para"):
        load_model(folder)


@pytest.mark.slow
def test_train_saves_the_best_epoch_not_the_last(data_dir: Path, tmp_path: Path, monkeypatch):
    config = dataclasses.replace(SST_SMOKE, epochs=2)
    seen, evaluate = [], loop.evaluate
    scores = iter([0.9, 0.1])  # epoch 1 is the best; epoch 2 is worse

    def scored(trainee, device):
        metrics, predictions = evaluate(trainee, device)
        seen.append(best_state(trainee.model))
        return {**metrics, "score": next(scores)}, predictions

    monkeypatch.setattr(loop, "evaluate", scored)
    result = loop.train(config, data_dir=data_dir, progress=False, model_dir=tmp_path / "m",
                        model_key="k")
    assert result["metrics"]["epoch"] == 0
    saved = load_model(tmp_path / "m").model.state_dict()
    first, last = seen
    assert all(torch.equal(saved[k], first[k]) for k in first)
    assert not all(torch.equal(saved[k], last[k]) for k in last)
    assert saved_info(tmp_path / "m")["metrics"]["score"] == 0.9
