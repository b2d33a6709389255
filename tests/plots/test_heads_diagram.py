from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from minbert_lab.plots.heads_diagram import panels, plot_head_architectures  # noqa: E402


def test_one_panel_per_pair_head_with_its_boxes():
    fig = plot_head_architectures()
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split(":")[0] for t in titles] == ["S-CD", "S-CS", "CE"]
    for ax, (boxes, _edges) in zip(fig.axes, panels().values()):
        drawn = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        assert len(drawn) == len(boxes)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "|u − v|" in texts and "cos(u, v)" in texts and "[SEP] b [SEP]" in texts
    fig.canvas.draw()


def test_every_arrow_joins_two_boxes_of_its_panel():
    for boxes, edges in panels().values():
        names = {b.name for b in boxes}
        assert all(a in names and b in names for a, b in edges)
        # Every box but the output has a way up: the diagram reads bottom to top.
        assert {a for a, _ in edges} == names - {"score"}
