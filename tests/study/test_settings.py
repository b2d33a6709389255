from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT  # noqa: E402
from minbert_lab.profiles import PROFILES  # noqa: E402
from minbert_lab.study.settings import StudySettings, repo_root  # noqa: E402

ENV = ("MINBERT_DATA_DIR", "MINBERT_RUNS_DIR", "MINBERT_FIGURES_DIR", "MINBERT_PROGRESS")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_resolve_against_the_root_not_the_cwd(clean_env, tmp_path: Path):
    study = StudySettings.from_env(profile="quick", root=tmp_path)
    assert study.data_dir == tmp_path / "data"
    assert study.runs_dir == tmp_path / "runs"
    assert study.figures_dir == tmp_path / "figures" / "quick"  # one folder per profile
    assert StudySettings.from_env(profile="all-data", root=tmp_path).figures_dir == (
        tmp_path / "figures" / "all-data")
    assert study.progress is True and study.seeds == (0,)


def test_smoke_never_writes_the_readers_figures(clean_env, tmp_path: Path):
    study = StudySettings.from_env(profile="smoke", root=tmp_path)
    assert study.figures_dir == tmp_path / "outputs" / "smoke" / "figures"


def test_environment_overrides_the_defaults(clean_env, tmp_path: Path):
    clean_env.setenv("MINBERT_DATA_DIR", str(tmp_path / "d"))
    clean_env.setenv("MINBERT_RUNS_DIR", str(tmp_path / "r"))
    clean_env.setenv("MINBERT_FIGURES_DIR", str(tmp_path / "f"))
    clean_env.setenv("MINBERT_PROGRESS", "0")
    study = StudySettings.from_env(profile="smoke", seeds=[1, 2], root=tmp_path)
    assert (study.data_dir, study.runs_dir, study.figures_dir) == (
        tmp_path / "d", tmp_path / "r", tmp_path / "f")
    assert study.progress is False and study.seeds == (1, 2)


@pytest.mark.parametrize("kwargs, field", [
    ({"profile": "huge"}, "profile="),
    ({"seeds": []}, "seeds="),
    ({"seeds": [-1]}, "seeds="),
])
def test_invalid_parameters_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        StudySettings.from_env(**kwargs)


def test_saves_figures_and_tables_with_captions(clean_env, tmp_path: Path):
    study = StudySettings.from_env(profile="smoke", root=tmp_path)
    fig = Figure()
    fig.subplots().plot([0, 1])
    png = study.save_figure(fig, "fig9-test")
    frame = pd.DataFrame({"label": ["a"], "ours_sst_acc": [0.5], "paper_sst_acc": [0.512]})
    frame.attrs = {"table": "9", "checkpoint": DEFAULT_CHECKPOINT, "note": "smoke",
                   "data": "split"}
    csv, md = study.save_table(frame, "table9")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert pd.read_csv(csv).equals(frame)
    assert "| a | 0.5 | 0.512 |" in md.read_text() and "Table 9" in md.read_text()
    assert study.saved == [png, csv, md]


def test_repo_root_is_found_from_a_subfolder():
    root = repo_root(Path(__file__).parent)
    assert (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir()


def test_figures_carry_their_provenance(clean_env, tmp_path: Path):
    study = StudySettings.from_env(profile="quick", root=tmp_path)
    fig = Figure(figsize=(4, 3))
    fig.subplots().plot([0, 1])
    stamped = plt.imread(study.save_figure(fig, "fig9-stamped"))
    plain = plt.imread(study.save_figure(fig, "fig9-plain", stamp=False))
    assert fig.texts == []  # the caller's figure is untouched
    assert stamped.shape[1] == plain.shape[1] and stamped.shape[0] > plain.shape[0]
    assert np.allclose(stamped[: plain.shape[0], :, :3], plain[:, :, :3], atol=0.01)
    strip = stamped[plain.shape[0]:, :, :3]
    assert strip.min() < 0.7  # the footer's text is in the strip under the image
    footer = study.provenance()
    assert PROFILES["quick"].summary() in footer and DEFAULT_CHECKPOINT in footer
    smoke = StudySettings.from_env(profile="smoke", root=tmp_path)
    assert smoke.provenance().startswith("SMOKE PROFILE, NUMBERS MEANINGLESS")
