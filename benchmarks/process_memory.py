"""A process's memory as Linux reports it, for the benchmarks that measure servers and children."""

from pathlib import Path


def rss_mib(pid, field="VmHWM"):
    """A memory field of /proc/PID/status in MiB (VmHWM: the peak resident set; VmRSS: now),
    nan where the process does not report it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def process_family(pid):
    """``pid`` and every process under it (a server's workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children += [int(c) for c in (task / "children").read_text().split()]
    return [pid] + [p for c in children for p in process_family(c)]
