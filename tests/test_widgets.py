"""The explorer's callbacks in plain pytest: set controls, press Run, read the shown result."""

from __future__ import annotations

from pathlib import Path

import pytest
from facts import says
from fake_runs import fake_result

import minbert_lab.widgets as widgets
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.grids import table4_base_tasks
from minbert_lab.widgets import AblationExplorer


@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch) -> list[RunConfig]:
    """Replaces training with an instant fake; records the configs it was asked for."""
    asked: list[RunConfig] = []

    def run_or_load(config, **kwargs):
        asked.append(config)
        return fake_result(config.tasks)

    monkeypatch.setattr(widgets, "run_or_load", run_or_load)
    return asked


def _explorer(tmp_path: Path, data_dir: Path | None = None, **kwargs) -> AblationExplorer:
    return AblationExplorer(profile="smoke", data_dir=data_dir or tmp_path / "data",
                            runs_dir=tmp_path / "runs", progress=False, **kwargs)


def test_starts_on_table_1s_first_row(tmp_path):
    explorer = _explorer(tmp_path)
    assert explorer.config() == RunConfig(tasks={"sst": TaskConfig("linear", "ce")},
                                          profile="smoke")
    assert explorer.ordering.disabled and explorer.shared_trunk.disabled
    assert explorer.reg_weight.disabled


def test_heads_and_losses_follow_the_task(tmp_path):
    explorer = _explorer(tmp_path)
    explorer.task.value = "para"
    assert [label for label, _value in explorer.head.options] == ["S-CD", "S-CS", "CE", "CE+CS"]
    assert explorer.head.value == "cross_encoder" and explorer.loss.value == "bce"
    explorer.head.value = "siamese_cosine"
    assert [value for _label, value in explorer.loss.options] == ["bce", "cosine_embedding", "mnr"]
    explorer.task.value = "sts"
    assert explorer.loss.value == "mse"


def test_a_regulariser_brings_the_papers_weight(tmp_path):
    explorer = _explorer(tmp_path)
    explorer.regularizer.value = "smart"
    assert explorer.reg_weight.value == 3.0 and not explorer.reg_weight.disabled
    explorer.task.value = "para"
    assert explorer.reg_weight.value == 0.5


def test_multitask_keeps_the_other_tasks_best_setups(tmp_path):
    explorer = _explorer(tmp_path)
    explorer.multitask.value = True
    explorer.ordering.value = "sequential"
    explorer.shared_trunk.value = True
    config = explorer.config()
    assert config.tasks == {**table4_base_tasks(), "sst": TaskConfig("linear", "ce")}
    assert config.ordering.name == "sequential" and config.shared_trunk
    explorer.multitask.value = False
    assert explorer.config().ordering.name == "shuffled" and not explorer.config().shared_trunk


def test_run_button_shows_the_result_against_the_closest_row(tmp_path, data_dir, fake_runs):
    explorer = _explorer(tmp_path, data_dir)
    explorer.dropout.value = 0.3
    explorer.run_button.click()
    assert fake_runs[-1].dropout == 0.3
    assert "done" in explorer.status.value and "trained" in explorer.status.value
    assert explorer.closest.label == "cross entropy loss"
    says(explorer.summary.value, "dropout", "0.3", "0.1")  # the difference from the paper row
    assert "meaningless" in explorer.summary.value
    assert explorer.comparison.set_index("metric").loc["sst_acc", "paper"] == 0.512
    assert bytes(explorer.curves.value).startswith(b"\x89PNG")
    assert not explorer.run_button.disabled


def test_a_multitask_run_is_compared_with_table_4(tmp_path, data_dir, fake_runs):
    explorer = _explorer(tmp_path, data_dir)
    explorer.multitask.value = True
    explorer.regularizer.value = "smart"  # SST with SMART (3): "Shuffled batches + SST reg'd"
    result = explorer.run()
    assert result is explorer.result
    assert (explorer.closest.table, explorer.closest.label) == ("4", "Shuffled batches + SST reg'd")
    assert explorer.closest.exact
    assert set(explorer.comparison["metric"]) == {"sst_acc", "para_acc", "sts_pearson", "score"}


def test_every_config_uses_the_explorers_checkpoint(tmp_path, data_dir, fake_runs):
    explorer = _explorer(tmp_path, data_dir, checkpoint="/models/other-bert")
    assert explorer.config().checkpoint == "/models/other-bert"
    explorer.multitask.value = True
    assert explorer.config().checkpoint == "/models/other-bert"
    explorer.run()
    assert fake_runs[-1].checkpoint == "/models/other-bert"
    assert "checkpoint /models/other-bert" in explorer.summary.value
    assert _explorer(tmp_path).config().checkpoint == RunConfig().checkpoint  # the default


def test_a_failed_run_says_why_and_keeps_the_button(tmp_path, data_dir, monkeypatch):
    def diverged(config, **kwargs):
        raise RuntimeError("loss became nan at step 3")

    monkeypatch.setattr(widgets, "run_or_load", diverged)
    explorer = _explorer(tmp_path, data_dir)
    assert explorer.run() is None
    assert "loss became nan" in explorer.status.value and "color" in explorer.status.value
    assert not explorer.run_button.disabled and explorer.result is None


def test_unprepared_data_is_reported_not_raised(tmp_path, fake_runs):
    explorer = _explorer(tmp_path)  # tmp_path/data has no manifest
    assert explorer.run() is None
    assert "prepare the data" in explorer.status.value and not fake_runs


def test_a_pair_of_tasks_the_paper_never_ran_is_refused(tmp_path, data_dir, fake_runs):
    explorer = _explorer(tmp_path, data_dir)
    explorer.config = lambda: RunConfig(tasks={"para": TaskConfig("CE", "bce"),
                                               "sts": TaskConfig("CE", "mse")})
    assert explorer.run() is None
    assert "no paper row" in explorer.status.value and not fake_runs


@pytest.mark.slow
def test_real_smoke_run_then_instant_reload(data_dir: Path, tmp_path: Path):
    explorer = _explorer(tmp_path, data_dir)
    explorer.seed.value = 3
    explorer.run_button.click()
    assert explorer.result is not None and explorer.result["cached"] is False
    assert "trained" in explorer.status.value
    assert "seed 3" in explorer.summary.value and "Table 1" in explorer.summary.value
    explorer.run_button.click()
    assert explorer.result["cached"] is True
    assert "loaded from the run cache" in explorer.status.value


def test_the_explorer_opens_on_a_studys_settings_and_first_seed(tmp_path):
    from minbert_lab.study.settings import StudySettings

    study = StudySettings.from_env(profile="smoke", seeds=[3, 4], root=tmp_path)
    explorer = AblationExplorer.from_study(study)
    assert explorer.profile.value == "smoke" and explorer.seed.value == 3
    assert (explorer.data_dir, explorer.runs_dir) == (study.data_dir, study.runs_dir)
    assert explorer.config().seed == 3
