"""What the command-line tests share: running a command that must fail in one line, and a
second of silence to give commands as speech."""

import numpy as np
import pytest

from talkrig.cli import main


def one_line_error(capsys, argv):
    """The one line ``talkrig ARGV`` prints on stderr, after checking it exits 2 without a traceback."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (argv, err)
    return err.strip()


@pytest.fixture
def speech(tmp_path):
    import soundfile as sf

    path = tmp_path / "speech.wav"
    sf.write(path, np.zeros(16000, np.float32), 16000)
    return path
