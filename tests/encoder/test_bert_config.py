"""BertConfig validates its fields and reads Hugging Face's config.json."""

from __future__ import annotations

import dataclasses
import json

import pytest
from tiny_bert import TINY

from minbert_lab.encoder.bert_config import BertConfig


def test_config_validation_and_unknown_keys():
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, num_attention_heads=3)
    with pytest.raises(ValueError, match=r"\['gelu', 'gelu_new', 'relu'\]"):
        dataclasses.replace(TINY, hidden_act="swish")
    with pytest.raises(ValueError, match="absolute"):
        BertConfig.from_dict({"position_embedding_type": "relative_key"})
    values = {**dataclasses.asdict(TINY), "architectures": ["BertModel"], "model_type": "bert"}
    assert BertConfig.from_dict(values) == TINY


@pytest.mark.parametrize("name", ["hidden_dropout_prob", "attention_probs_dropout_prob"])
def test_dropout_probabilities_must_be_below_one(name):
    with pytest.raises(ValueError, match=name):
        dataclasses.replace(TINY, **{name: 1.0})


def test_from_folder_reads_config_json(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dataclasses.asdict(TINY)))
    assert BertConfig.from_folder(tmp_path) == TINY
