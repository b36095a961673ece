"""Charts and a static map for the bulletin, as PNG data URIs (matplotlib, no display).

Figures are made with matplotlib's object API, not pyplot: they are drawn on a worker thread
while the bulletin's queries run, and pyplot's global figure list is not safe across
threads."""

import base64
import io
from typing import Any

import geopandas as gpd
import matplotlib
from matplotlib.figure import Figure

# CJK fonts Debian ships (fonts-wqy-zenhei, fonts-noto-cjk), then the default.
matplotlib.rcParams["font.sans-serif"] = [
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "DejaVu Sans",
]
matplotlib.rcParams["axes.unicode_minus"] = False


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots()


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def weekly_chart(series: list[dict[str, Any]]) -> str:
    """Reported and closed problems per week (bars) with the closure rate (line)."""
    labels = [row["period"]["label"][5:] for row in series]
    positions = range(len(series))
    figure, axis = _figure(8, 3)
    axis.bar([p - 0.2 for p in positions], [r["reported"] for r in series], 0.4, label="新发现")
    axis.bar([p + 0.2 for p in positions], [r["closed"] for r in series], 0.4, label="已销号")
    axis.set_xticks(list(positions), labels, fontsize=8)
    axis.set_ylabel("问题数")
    rate = axis.twinx()
    rate.plot(
        list(positions),
        [(r["closure_rate"] or 0) * 100 for r in series],
        color="#b71c1c",
        marker="o",
        label="结案率",
    )
    rate.set_ylim(0, 100)
    rate.set_ylabel("结案率 %")
    handles = axis.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    axis.legend(handles, [str(h.get_label()) for h in handles], loc="upper left", fontsize=8)
    axis.set_title("近12周问题发现与销号")
    return _png(figure)


def ranking_chart(rows: list[dict[str, Any]], metric: str, title: str) -> str:
    """Horizontal bars of `metric` per street or unit, best at the top."""
    rows = [r for r in rows if r[metric] is not None][:20]
    figure, axis = _figure(8, max(2.0, 0.32 * len(rows) + 0.8))
    names = [r["name"] for r in reversed(rows)]
    values = [r[metric] * 100 for r in reversed(rows)]
    axis.barh(names, values, color="#1565c0")
    axis.set_xlim(0, 100)
    axis.set_xlabel("%")
    axis.set_title(title)
    axis.tick_params(axis="y", labelsize=8)
    return _png(figure)


def open_problems_map(streets: gpd.GeoDataFrame, problems: gpd.GeoDataFrame) -> str:
    """Streets shaded by open problems, with the open problems as dots; no basemap needed."""
    figure, axis = _figure(8, 6)
    if not streets.empty:
        streets.plot(
            ax=axis,
            column="open",
            cmap="OrRd",
            edgecolor="#555",
            linewidth=0.6,
            legend=True,
            legend_kwds={"label": "未销号问题", "shrink": 0.6},
        )
        centres = streets.geometry.representative_point()
        for name, centre in zip(streets["name"], centres, strict=True):
            axis.annotate(name, (centre.x, centre.y), fontsize=7, ha="center")
    if not problems.empty:
        for subset, size, colour, label in (
            (problems[~problems["overdue"]], 3, "#1565c0", "整改中"),
            (problems[problems["overdue"]], 5, "#b71c1c", "已超期"),
        ):
            if not subset.empty:  # (an empty one would only warn)
                subset.plot(ax=axis, markersize=size, color=colour, label=label)
        axis.legend(loc="lower right", fontsize=8)
    axis.set_axis_off()
    axis.set_title("未销号问题分布")
    return _png(figure)
