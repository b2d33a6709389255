"""Error analysis of one stored run (section 5 of the paper): confusion matrices, predicted vs
true class frequencies, the most confident paraphrase mistakes and the largest similarity
errors, each with its sentences.

Every function takes a run's result dict (``run_or_load``); its ``predictions`` are the best
epoch's dev predictions, keyed by task.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from minbert_lab.config import TASK_TITLES

CLASSES = {"sst": (0, 1, 2, 3, 4), "para": (0, 1)}
ERROR_KINDS = ("false_positive", "false_negative")


def predictions_frame(result: dict, task: str) -> pd.DataFrame:
    """The run's dev predictions for ``task``: ``id, label, prediction, score``."""
    if task not in result["predictions"]:
        raise ValueError(f"task={task!r} is not valid; this run predicted "
                         f"{sorted(result['predictions'])}")
    p = result["predictions"][task]
    return pd.DataFrame({"id": [str(i) for i in p["ids"]], "label": p["labels"],
                         "prediction": p["predictions"], "score": p["scores"]})


def confusion_frame(result: dict, task: str) -> pd.DataFrame:
    """Counts with true classes as rows and predicted classes as columns (all classes shown)."""
    if task not in CLASSES:
        raise ValueError(f"task={task!r} is not valid; choose one of {list(CLASSES)}")
    preds = predictions_frame(result, task)
    classes = list(CLASSES[task])
    matrix = pd.crosstab(preds["label"].astype(int), preds["prediction"].astype(int))
    matrix = matrix.reindex(index=classes, columns=classes, fill_value=0)
    matrix.index.name, matrix.columns.name = "true", "predicted"
    matrix.attrs["title"] = f"{TASK_TITLES[task]} (dev, n={len(preds)})"
    return matrix


def class_frequencies(result: dict, train_labels: np.ndarray | list[int]) -> pd.DataFrame:
    """SST classes: counts and shares in training, in dev (true) and in dev (predicted)."""
    preds = predictions_frame(result, "sst")
    columns = {"train": pd.Series(np.asarray(train_labels).astype(int)),
               "dev (true)": preds["label"].astype(int),
               "dev (predicted)": preds["prediction"].astype(int)}
    frame = pd.DataFrame({"class": list(CLASSES["sst"])})
    for name, values in columns.items():
        counts = values.value_counts().reindex(CLASSES["sst"], fill_value=0)
        frame[f"{name} count"] = counts.to_numpy()
        frame[f"{name} share"] = (counts / counts.sum()).round(3).to_numpy()
    return frame


def sst_frequency_reading(frequencies: pd.DataFrame) -> str:
    """One computed sentence on which classes the model predicts, against the paper's finding."""
    shares = frequencies.set_index("class")
    predicted = shares["dev (predicted) count"]
    never = [str(c) for c, n in predicted.items() if n == 0]
    top = [str(c) for c, n in predicted.nlargest(2).items() if n > 0]
    train_top = [str(c) for c in shares["train share"].nlargest(2).index]
    parts = [f"Our model predicts class{'es' if len(top) > 1 else ''} {' and '.join(top)} most "
             f"often; the most frequent training classes are {' and '.join(train_top)}."]
    if never:
        parts.append(f"It never predicts class{'es' if len(never) > 1 else ''} "
                     f"{', '.join(never)}.")
    else:
        parts.append("It predicts every class at least once.")
    parts.append("The paper's model predicted mostly 1 and 3 and never 0 or 4, which it traces to "
                 "1 and 3 being the most frequent training classes.")
    return " ".join(parts)


def para_confusion_reading(matrix: pd.DataFrame) -> str:
    """Counts of false positives and negatives, precision and recall, as one sentence."""
    tn, fp = int(matrix.loc[0, 0]), int(matrix.loc[0, 1])
    fn, tp = int(matrix.loc[1, 0]), int(matrix.loc[1, 1])
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    lean = ("more false positives than false negatives" if fp > fn else
            "more false negatives than false positives" if fn > fp else
            "as many false positives as false negatives")
    return (f"{fp} false positives and {fn} false negatives out of {tn + fp + fn + tp} dev pairs "
            f"(precision {precision:.3f}, recall {recall:.3f}): the model makes {lean}.")


def confident_errors(result: dict, dev: pd.DataFrame, kind: str, n: int = 5) -> pd.DataFrame:
    """The paraphrase mistakes the model was surest of, with their questions.

    Args:
        result: a stored run that trained the paraphrase task.
        dev: the paraphrase dev split's sentences (``overview.read_clean("para", "dev", ...)``).
        kind: ``"false_positive"`` (highest scores among non-paraphrases predicted as
            paraphrases) or ``"false_negative"`` (lowest scores among missed paraphrases).
        n: how many rows.

    The score column is ``p(paraphrase)`` (the sigmoid of the logit) for BCE runs, else the
    head's raw score.
    """
    if kind not in ERROR_KINDS:
        raise ValueError(f"kind={kind!r} is not valid; choose one of {list(ERROR_KINDS)}")
    preds = _with_sentences(predictions_frame(result, "para"), dev)
    label, prediction = preds["label"].astype(int), preds["prediction"].astype(int)
    if kind == "false_positive":
        wrong = preds[(label == 0) & (prediction == 1)].sort_values("score", ascending=False)
    else:
        wrong = preds[(label == 1) & (prediction == 0)].sort_values("score", ascending=True)
    bce = result["config"]["tasks"]["para"]["loss"] == "bce"
    score_name = "p(paraphrase)" if bce else "score"
    shown = wrong.head(n).assign(**{score_name: lambda f: _probability(f["score"]) if bce
                                    else f["score"]})
    shown = shown.astype({"label": int, "prediction": int})
    return shown[["id", "sentence1", "sentence2", "label", "prediction", score_name]].round(3) \
        .reset_index(drop=True)


def largest_sts_errors(result: dict, dev: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` most under-rated and ``n`` most over-rated STS pairs, with their sentences."""
    preds = _with_sentences(predictions_frame(result, "sts"), dev)
    preds["error"] = preds["prediction"] - preds["label"]
    under = preds[preds["error"] < 0].nsmallest(n, "error").assign(direction="rated too low")
    over = preds[preds["error"] > 0].nlargest(n, "error").assign(direction="rated too high")
    columns = ["direction", "sentence1", "sentence2", "label", "prediction", "error"]
    return pd.concat([under, over])[columns].round(2).reset_index(drop=True)


def _with_sentences(preds: pd.DataFrame, dev: pd.DataFrame) -> pd.DataFrame:
    merged = preds.merge(dev[["id", "sentence1", "sentence2"]], on="id", how="left")
    missing = merged["sentence1"].isna().sum()
    if missing:
        raise ValueError(f"{missing} predicted ids are not in the dev sentences given; pass the "
                         "dev split of the same prepared data")
    return merged


def _probability(logits: pd.Series) -> pd.Series:
    return 1.0 / (1.0 + np.exp(-logits.astype(float)))
