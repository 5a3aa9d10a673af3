"""Solving for the setting that brings a figure to its target, when the figure grows with it:
the fine turning's gain (``fineturn``), the legs' gain and the root's smoothing of the neural
generators (``plugins.neural.standing``)."""


def solve_rising(measure, target, low, high, steps=8):
    """x in [low, high] with measure(x) ~ target, for a measure that grows with x: ``low`` when
    it is reached there already, ``high`` when not even there; else bisection (``steps``
    halvings of the interval)."""
    if measure(low) >= target:
        return low
    if measure(high) <= target:
        return high
    for _ in range(steps):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if measure(middle) < target else (low, middle)
    return 0.5 * (low + high)
