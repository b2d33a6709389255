"""The command line's spelling of a RunConfig, both ways: flags -> config (every listed
spelling of a head and a loss, the recipe levers) and config -> the command line that trains it."""

from __future__ import annotations

import shlex

import pytest

from minbert_lab.cli import build_parser
from minbert_lab.config import HEADS, LOSSES, Ordering, RunConfig
from minbert_lab.experiments.grids import GRIDS
from minbert_lab.experiments.recipe import (
    CANDIDATE_LEVERS,
    RECIPE,
    fair_single_task_config,
    lever_confirmation,
    lever_screen,
    recipe_ablations,
)
from minbert_lab.run_flags import (
    HEAD_SPELLINGS,
    LOSS_SPELLINGS,
    config_from_args,
    heads_and_losses,
    run_command,
    spellings,
)


def test_surgery_and_sampler_flags_build_the_config() -> None:
    args = build_parser().parse_args([
        "run", "--tasks", "sst,para,sts", "--ordering", "round_robin", "--tasks-per-step", "all",
        "--surgery", "pcgrad", "--conflict-probes", "5", "--sampler", "sst=balanced"])
    config = config_from_args(args)
    assert (config.tasks_per_step, config.gradient_surgery, config.conflict_probes) == (
        "all", "pcgrad", 5)
    assert config.tasks["sst"].sampler == "balanced"
    assert config.tasks["para"].sampler == "uniform"


def test_run_help_lists_the_losses_that_fit_each_head() -> None:
    def name(text: str) -> str:  # "cosine_embedding [cosine embedding, cos_emb] *"
        return text.split(" [")[0].removesuffix(" *")

    listed, task, head = {}, None, None
    for line in heads_and_losses().splitlines():
        indent = len(line) - len(line.lstrip())
        if indent == 2 and line.split()[0] in HEADS:  # "  para  siamese_concat_diff [S-CD]"
            task = line.split()[0]
        if indent in (2, 8) and task:
            head = name(line[8:])
            listed[(task, head)] = []
        elif indent == 10:  # "          bce [BCE] *"
            listed[(task, head)].append(name(line[10:]))
    assert {key: tuple(losses) for key, losses in listed.items()} == LOSSES


@pytest.mark.parametrize(("task", "head", "loss"), [
    (task, head, loss) for (task, head), losses in LOSSES.items() for loss in losses])
def test_every_listed_spelling_of_a_head_and_loss_is_accepted(task, head, loss) -> None:
    for head_spelling in (head, *spellings(head, HEAD_SPELLINGS)):
        for loss_spelling in (loss, *spellings(loss, LOSS_SPELLINGS)):
            args = build_parser().parse_args(["run", "--tasks", task, "--head",
                                              f"{task}={head_spelling}", "--loss",
                                              f"{task}={loss_spelling}"])
            chosen = config_from_args(args).tasks[task]
            assert (chosen.head, chosen.loss) == (head, loss), (head_spelling, loss_spelling)


def test_recipe_levers_reach_the_config() -> None:
    args = build_parser().parse_args(
        ["run", "--tasks", "sst,sts", "--head", "sts=CE+CS", "--pooling", "mean",
         "--pair-projection", "identity", "--lr-schedule", "linear", "--warmup-ratio", "0.1",
         "--layer-lr-decay", "0.9", "--reg", "sst=rdrop:1"])
    config = config_from_args(args)
    assert (config.pooling, config.pair_projection, config.lr_schedule, config.warmup_ratio,
            config.layer_lr_decay) == ("mean", "identity", "linear", 0.1, 0.9)
    assert config.tasks["sts"].head == "cross_encoder_cosine"
    assert config.tasks["sst"].regularizer == "rdrop"


def test_run_command_reads_back_to_every_paper_config() -> None:
    configs = [row.config for grid in GRIDS.values() for row in grid(profile="all-data", seed=2)]
    configs += list(recipe_ablations().values()) + list(lever_screen().values())
    configs += [lever_confirmation(lever, seed=1) for lever in CANDIDATE_LEVERS]
    configs += [fair_single_task_config(task) for task in ("sst", "para", "sts")]
    configs.append(RunConfig(tasks=recipe_ablations()[RECIPE].tasks,
                             ordering=Ordering("weighted", task="para", weight=3.5)))
    for config in configs:
        line = run_command(config, save_model="models/best")
        words = shlex.split(line)[4:]  # after "python -m minbert_lab run"
        args = build_parser().parse_args(["run", *words])
        assert config_from_args(args) == config, line
        assert args.save_model == "models/best"


def test_run_command_refuses_a_setting_no_flag_sets() -> None:
    with pytest.raises(ValueError, match="max_length"):
        run_command(RunConfig(max_length=64))
