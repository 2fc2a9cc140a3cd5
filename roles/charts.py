"""A KPI's graph as plain coordinates for an SVG drawn by a template: no
JavaScript, prints, and goes into the hat PDF. Missing periods break a line
rather than drop it to zero."""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


# The hat's line, then the wearers' in turn; drawn as SVG attributes so that
# the PDF renderer, which does not apply the page's stylesheet to SVG, agrees.
MAIN_COLOUR = "#0b3d91"
COLOURS = ("#6f42c1", "#2f7d62", "#9a5b00", "#0f6f8f", "#7a3e3e")
GOAL_COLOUR = "#b02a37"


@dataclass
class Series:
    name: str
    values: list
    main: bool = False
    colour: str = MAIN_COLOUR
    segments: list = field(default_factory=list)  # ["x,y x,y …"] between gaps
    dots: list = field(default_factory=list)  # [(x, y)] of every value


def nice_top(top):
    """A round number at or above `top` for the axis."""
    if top <= 0:
        return 1
    step = 10 ** (len(str(int(top))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= top:
            return m * step
    return 10 * step


def line_chart(series, labels, goal=None, goal_high=None):
    """Coordinates of `series` (each one value or None per label) on a
    WIDTH × HEIGHT canvas, with the target line (and the top of a range)."""
    values = [float(v) for s in series for v in s.values if v is not None]
    values += [float(g) for g in (goal, goal_high) if g is not None]
    low = min([0.0, *values])
    high = nice_top(max([0.0, *values]) - low) + low if values else 1.0
    span = (high - low) or 1.0
    n = max(len(labels), 1)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i):
        return round(LEFT + (inner_w * i / (n - 1) if n > 1 else inner_w / 2), 1)

    def y(v):
        return round(TOP + inner_h * (1 - (float(v) - low) / span), 1)

    others = 0
    for s in series:
        if not s.main:
            s.colour = COLOURS[others % len(COLOURS)]
            others += 1
        s.segments, s.dots, run = [], [], []
        for i, v in enumerate(s.values):
            if v is None:
                if len(run) > 1:
                    s.segments.append(" ".join(run))
                run = []
                continue
            s.dots.append((x(i), y(v)))
            run.append(f"{x(i)},{y(v)}")
        if len(run) > 1:
            s.segments.append(" ".join(run))
    every = max(1, n // 13)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 8,
        "x_labels": [(x(i), label) for i, label in enumerate(labels) if i % every == 0],
        "y_ticks": [(y(low + span * k / 4), _tick(low + span * k / 4)) for k in range(5)],
        "goal_y": None if goal is None else y(goal),
        "goal_high_y": None if goal_high is None else y(goal_high),
        "series": series,
        "goal_colour": GOAL_COLOUR,
    }


def _tick(v):
    return f"{v:g}" if abs(v) < 1e6 else f"{v:.2e}"
