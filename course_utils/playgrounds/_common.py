"""What every playground shares: number formatting, the figure, bars and the widget wiring."""

from __future__ import annotations

import numpy as np

from ..plotting import use_house_style

__all__ = ["SEEDS", "format_numbers", "new_figure", "draw_bars", "explorer", "slider"]

#: Playgrounds average over these seeds' splits unless told otherwise.
SEEDS = (0, 1, 2)


def format_numbers(numbers):
    """``name: value`` lines, floats with four decimals, ``None`` as ``-``."""
    if not isinstance(numbers, dict):
        raise TypeError(f"numbers must be a dict, got {type(numbers).__name__}")
    lines = []
    for name, value in numbers.items():
        if isinstance(value, (float, np.floating)):
            value = f"{float(value):.4f}"
        elif value is None:
            value = "-"
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def new_figure():
    """A new figure and axes in the house style, sized for a playground."""
    import matplotlib.pyplot as plt

    use_house_style()
    return plt.subplots(figsize=(6.4, 3.6))


def draw_bars(ax, values, colors, title, ylabel="share"):
    """Bars of ``values`` (name -> share or ``None``), each with its value written on top."""
    names = list(values)
    heights = [np.nan if values[n] is None else values[n] for n in names]
    bars = ax.bar(names, heights, color=colors)
    for bar, height in zip(bars, heights):
        if np.isfinite(height):
            ax.annotate(f"{height:.3f}", (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom",
                        fontsize=10, xytext=(0, 2), textcoords="offset points")
    ax.set_ylim(0, 1.08)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("model and metric")


def explorer(function, **controls):
    """An ``interactive`` that shows the playground's figure and its numbers as text."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    def render(**values):
        figure, numbers = function(**values)
        display(figure)
        plt.close(figure)
        print(format_numbers(numbers))

    interface = widgets.interactive(render, **controls)
    interface.layout = widgets.Layout(border="1px solid #ddd", padding="6px")
    return interface


def slider(description, value, minimum, maximum, step, readout_format=".2f"):
    """A float slider that updates only when released, so dragging never queues seconds of work."""
    import ipywidgets as widgets

    return widgets.FloatSlider(value=value, min=minimum, max=maximum, step=step, description=description,
                               continuous_update=False, readout_format=readout_format,
                               style={"description_width": "initial"})
