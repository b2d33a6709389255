"""The paper's Figure 1: the three sentence-pair head architectures, drawn as box diagrams.

Each panel is data (boxes and the arrows between them), drawn by one small renderer, so the
three diagrams stay aligned and the figure needs no image file. What each box says follows
``minbert_lab.heads``: Siamese heads project both pooled embeddings with one shared linear
layer; the cross-encoder reads one pooled ``[CLS] a [SEP] b [SEP]`` embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

# One colour per kind of box, the same in every panel.
KIND_COLORS = {
    "input": "#e8e8e8",
    "encoder": "#c6dbef",
    "embedding": "#c7e9c0",
    "combine": "#fdd0a2",
    "output": "#fcbba1",
}
KIND_TITLES = {"input": "input", "encoder": "BERT encoder", "embedding": "sentence embedding",
               "combine": "pair combination", "output": "task score"}


@dataclass(frozen=True)
class Box:
    name: str
    x: float  # centre, in a 0-10 panel
    y: float
    width: float
    text: str
    kind: str


def _siamese(top: list[Box]) -> tuple[list[Box], list[tuple[str, str]]]:
    boxes = [
        Box("a", 2.5, 0.8, 3.6, "sentence a", "input"),
        Box("b", 7.5, 0.8, 3.6, "sentence b", "input"),
        Box("bert_a", 2.5, 2.7, 3.6, "BERT\n[CLS] a [SEP]", "encoder"),
        Box("bert_b", 7.5, 2.7, 3.6, "BERT\n[CLS] b [SEP]", "encoder"),
        Box("u", 2.5, 4.7, 3.6, "pool → Linear\nu", "embedding"),
        Box("v", 7.5, 4.7, 3.6, "pool → Linear\nv", "embedding"),
        *top,
    ]
    edges = [("a", "bert_a"), ("b", "bert_b"), ("bert_a", "u"), ("bert_b", "v"),
             ("u", "combine"), ("v", "combine"), ("combine", "score")]
    return boxes, edges


def panels() -> dict[str, tuple[list[Box], list[tuple[str, str]]]]:
    """Title -> (boxes, arrows) for S-CD, S-CS and CE."""
    scd = _siamese([
        Box("combine", 5.0, 6.8, 5.0, "concatenate\n[u, v, |u − v|]", "combine"),
        Box("score", 5.0, 8.8, 5.0, "Linear(3H → 1)\nlogit (para) / rating (STS)", "output"),
    ])
    scs = _siamese([
        Box("combine", 5.0, 6.8, 5.0, "cosine similarity\ncos(u, v)", "combine"),
        Box("score", 5.0, 8.8, 5.0, "scale·cos + bias (para)\n2.5·(cos + 1) (STS)", "output"),
    ])
    ce = (
        [
            Box("pair", 5.0, 0.8, 8.0, "sentence a + sentence b", "input"),
            Box("bert", 5.0, 2.7, 8.0, "BERT (one pass)\n[CLS] a [SEP] b [SEP]", "encoder"),
            Box("pooled", 5.0, 4.7, 5.0, "pool\n[CLS] embedding", "embedding"),
            Box("combine", 5.0, 6.8, 5.0, "a and b already mixed\nby self-attention", "combine"),
            Box("score", 5.0, 8.8, 5.0, "Linear(H → 1)\nlogit (para) / rating (STS)", "output"),
        ],
        [("pair", "bert"), ("bert", "pooled"), ("pooled", "combine"), ("combine", "score")],
    )
    return {
        "S-CD: Siamese, concatenated difference": scd,
        "S-CS: Siamese, cosine similarity": scs,
        "CE: cross-encoder": ce,
    }


def plot_head_architectures() -> Figure:
    """Figure 1: one panel per pair-task head (S-CD, S-CS, CE); returned, not shown."""
    layout = panels()
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    axes = fig.subplots(1, len(layout))
    for ax, (title, (boxes, edges)) in zip(axes, layout.items()):
        _draw(ax, boxes, edges)
        ax.set_title(title, fontsize=11)
        if title.startswith("S-"):
            # Both towers are one encoder: the defining property of a Siamese network.
            ax.annotate("shared\nweights", xy=(5.0, 2.7), ha="center", va="center", fontsize=7.5,
                        style="italic", color="#3a5f8a")
    handles = [FancyBboxPatch((0, 0), 1, 1, facecolor=c, edgecolor="#555555",
                              label=KIND_TITLES[k]) for k, c in KIND_COLORS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    fig.suptitle("The three sentence-pair head architectures")
    return fig


def _draw(ax, boxes: list[Box], edges: list[tuple[str, str]]) -> None:
    height = 1.2
    by_name = {b.name: b for b in boxes}
    for box in boxes:
        ax.add_patch(FancyBboxPatch(
            (box.x - box.width / 2, box.y - height / 2), box.width, height,
            boxstyle="round,pad=0.05,rounding_size=0.2", facecolor=KIND_COLORS[box.kind],
            edgecolor="#555555", linewidth=1.0))
        ax.text(box.x, box.y, box.text, ha="center", va="center", fontsize=8.5)
    for start, end in edges:
        a, b = by_name[start], by_name[end]
        ax.annotate("", xy=(b.x, b.y - height / 2), xytext=(a.x, a.y + height / 2),
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "lw": 1.0,
                                "shrinkA": 1, "shrinkB": 1})
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 9.8)
    ax.set_axis_off()
