"""Teacher annealing (Clark et al. 2019, "BAM! Born-Again Multi-Task Networks"): a multitask
student learns each distilled task from a mix of the gold label and a single-task teacher.

At optimizer step ``s`` of ``S`` the target is ``lambda * gold + (1 - lambda) * teacher`` with
``lambda = s / S``: the student starts by imitating the single-task model it would otherwise
fall behind, and ends on the gold labels, free to pass it. The teacher's output is read from
its stored outputs on the training set (``RunConfig.train_outputs``), so distilling costs no
extra forward pass. Per task, as in BAM's code:

* SST: gold one-hot and the teacher's class probabilities, a target distribution for
  cross-entropy;
* Quora: the gold 0/1 and the teacher's probability of a paraphrase, a soft target for BCE;
* STS: the gold rating and the teacher's predicted rating (0-5), a target for MSE.

Where we differ from BAM: the teachers are the recipe trained on one task (same seed), not a
separate single-task recipe, and their outputs come from the final model of their run.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from minbert_lab.config import NUM_CLASSES


class TeacherTargets:
    """One task's teacher outputs on its training set, by example id, mixed into the labels.

    Args:
        task: the task.
        ids: the training examples' ids, in the order of ``outputs``.
        outputs: the teacher's output per example (class probabilities, or one number).
        total_steps: the optimizer steps of the student's whole run.

    Raises:
        ValueError: ids and outputs of different lengths.
    """

    def __init__(self, task: str, ids: list[str], outputs: list, total_steps: int) -> None:
        if len(ids) != len(outputs):
            raise ValueError(f"the {task} teacher has {len(ids)} ids but {len(outputs)} outputs")
        self.task, self.total_steps = task, total_steps
        self.row = {str(i): k for k, i in enumerate(ids)}
        self.outputs = torch.tensor(outputs, dtype=torch.float32, device="cpu")  # (N, C) / (N,)

    def weight(self, step: int) -> float:
        """lambda, the gold label's share at optimizer step ``step`` (0 at the first step)."""
        return min(1.0, step / max(1, self.total_steps))

    def targets(self, labels: torch.Tensor, ids: list[str], step: int) -> torch.Tensor:
        """The batch's training targets at ``step``: ``(B, C)`` for SST, ``(B,)`` otherwise."""
        index = torch.tensor([self.row[str(i)] for i in ids], device="cpu")
        teacher = self.outputs[index].to(labels.device)
        lam = self.weight(step)
        gold = (F.one_hot(labels.long(), NUM_CLASSES[self.task]).to(teacher.dtype)
                if self.task == "sst" else labels.to(teacher.dtype))
        return lam * gold + (1 - lam) * teacher
