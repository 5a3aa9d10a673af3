"""Progress of a long command on stderr: a bar on a terminal, plain lines in a log.

A bake of a ten-minute recording or a night's batch is often run with its output sent to a
file, where a bar is not drawn: there, once the job has run for QUIET_SECONDS, each stage and
every tenth of the way is one line (a job done sooner, or one that stops at once on bad input,
prints nothing but its result or its one-line error), and every clip of a batch is one line, so
the log shows the job is alive and how far it is.
"""

import os
import sys
import time

STEP = 10  # percent between two lines of a log
QUIET_SECONDS = 10.0  # no line in a log before a job has run this long


def _stderr_copy():
    """A duplicate of stderr (it stays visible while Blender silences the process's own
    stderr during a bake), or None when stderr has no file descriptor (a test's capture)."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w")
    except (OSError, ValueError, AttributeError):
        return None


def _terminal(stream):
    """True when ``stream`` is a terminal (where a bar is drawn)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class StageBar:
    """For the progress(stage, fraction) callbacks of generate, bake, render and capture."""

    def __init__(self, disabled=False):
        self.disabled = disabled
        self.bar = self.stream = self.shown = None
        self.lines = False  # a log's lines, not a bar
        self.start = time.perf_counter()

    def __enter__(self):
        if not self.disabled:
            self.stream = _stderr_copy()
            out = self.stream or sys.stderr
            self.lines = not _terminal(out)
            if not self.lines:  # tqdm is imported only to draw (10 ms of a short take's process)
                from tqdm import tqdm

                self.bar = tqdm(total=100, file=out, leave=False,
                                bar_format="{desc:<14} {bar} {n:.0f}% [{elapsed}]")
        return self

    def update(self, stage, fraction):
        percent = int(100 * fraction)
        if self.lines:
            self._line(stage, percent)
        elif self.bar is not None and (stage, percent) != self.shown:
            self.shown = (stage, percent)
            self.bar.set_description_str(stage, refresh=False)
            self.bar.n = percent
            self.bar.refresh()

    def _line(self, stage, percent):
        """One line when the stage changes or the work passes another STEP percent."""
        elapsed = time.perf_counter() - self.start
        if elapsed < QUIET_SECONDS:
            return
        if self.shown is not None and self.shown[0] == stage and percent // STEP == self.shown[1] // STEP:
            return
        self.shown = (stage, percent)
        print(f"{stage} {percent}% [{elapsed:.0f} s]",
              file=self.stream or sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        if self.stream is not None:
            self.stream.close()
        return False


class ClipBar:
    """A bar over a batch's clips (ETA from the clips baked so far; skipped ones start it); in
    a log, one line per clip."""

    def __init__(self, total, disabled=False):
        self.total = total
        self.disabled = disabled
        self.bar = None
        self.failed = self.count = 0

    def __enter__(self):
        if not self.disabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="clip", dynamic_ncols=True,
                            disable=not _terminal(sys.stderr))
        return self

    def update(self, result):
        if self.bar is None:
            return
        if result["status"] == "skipped":
            self.bar.total -= 1  # not part of this run's work or its ETA
            self.bar.refresh()
            return
        self.failed += result["status"] == "failed"
        self.count += 1
        note = f"{result['name']} {result['status']}" + (f", {self.failed} failed" if self.failed else "")
        if self.bar.disable:
            print(f"clip {self.count}/{self.bar.total}: {note}", file=sys.stderr, flush=True)
            return
        self.bar.set_postfix_str(note)
        self.bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


class CountBar:
    """A training's progress over a count (epochs, steps or seconds) with its latest figures
    (losses): a bar on a terminal; in a log, one line per STEP percent and none in between (a
    bar's every redraw would be a line there)."""

    def __init__(self, total, unit, desc):
        from tqdm import tqdm

        self.total, self.unit, self.desc = total, unit, desc
        self.bar = tqdm(total=total, unit=unit, desc=desc, dynamic_ncols=True, disable=not _terminal(sys.stderr))
        self.shown = None  # the last STEP printed in a log

    def update(self, n, figures):
        """At ``n`` of the total, with ``figures`` ({name: text}) the latest ones."""
        if not self.bar.disable:
            self.bar.n = n
            self.bar.set_postfix(figures, refresh=False)
            self.bar.refresh()
            return
        percent = int(100 * n / max(self.total, 1))
        if self.shown is not None and percent // STEP == self.shown and n < self.total:
            return
        self.shown = percent // STEP
        text = ", ".join(f"{k} {v}" for k, v in figures.items())
        print(f"{self.desc}: {n}/{self.total} {self.unit} ({percent}%){': ' + text if text else ''}",
              file=sys.stderr, flush=True)

    def close(self):
        self.bar.close()
