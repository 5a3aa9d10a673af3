"""Tests choose which optional programs the code finds on PATH, instead of depending on what
the machine happens to have installed.

``ffmpeg`` comes from the imageio-ffmpeg wheel (a real ffmpeg build, a dev dependency), so the
"ffmpeg installed" path runs on every machine, CI included; "not installed" is a PATH without it.
"""


def ffmpeg_exe():
    """The real ffmpeg binary shipped inside the imageio-ffmpeg wheel."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def only_these_tools(monkeypatch, folder, tools):
    """Make PATH a single ``folder`` holding ``tools`` ({name: executable}) and nothing else.

    Code that looks programs up on PATH (audioread looks for ffmpeg/avconv) then finds exactly
    these; the tests' own interpreter is started by absolute path and is not affected.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in tools.items():
        link = folder / name
        if not link.exists():
            link.symlink_to(target)
    monkeypatch.setenv("PATH", str(folder))
