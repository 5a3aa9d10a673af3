"""How many cores this process may run on: the one count behind every choice of a second
process (a take's later windows, recognition's workers, a preview's second renderer)."""

import os


def available_cores():
    """Cores this process may run on (its affinity where the system says, else the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
