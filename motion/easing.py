"""Easing: progress from 0 to 1 that starts and stops at rest, for every stage that moves one
thing from one place to the next (a foot's step, a gesture's stroke)."""

import numpy as np


def minimum_jerk(u):
    """10u^3 - 15u^4 + 6u^5 of u clipped to [0, 1]: zero velocity and acceleration at both ends
    (the minimum-jerk profile of a reaching movement, Flash & Hogan 1985)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))
