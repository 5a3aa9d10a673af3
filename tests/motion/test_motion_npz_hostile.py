"""Motion files that lie: what an npz declares is checked before anything is allocated, only
the motion's keys are read, and whatever is not a regular file is refused, all in one line."""

import io
import os
import re
import tracemalloc
import zipfile

import numpy as np
import pytest

from support.cli_support import one_line_error
from talkrig.motion import Motion
from talkrig.motion.errors import MotionFileError
from talkrig.motion.npz import npz_bytes, read_npz


def npy_header(shape, dtype="<f4"):
    """The bytes of an npy header declaring ``shape`` (the data may be missing)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def archive(path, members):
    """An npz at ``path`` of {name: bytes or a callable writing into the member}, deflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if callable(data):
                with zf.open(name, "w", force_zip64=True) as member:
                    data(member)
            else:
                zf.writestr(name, data)
    return path


def take_members():
    with zipfile.ZipFile(io.BytesIO(npz_bytes(Motion.rest(4, 30.0)))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zeros(megabytes, header=None):
    def write(member):
        if header is not None:
            member.write(header)
        block = bytes(1 << 20)
        for _ in range(megabytes):
            member.write(block)
    return write


@pytest.mark.parametrize("shape, dtype, message", [
    ((10 ** 11, 165), "<f4", "declares (100000000000, 165)"),
    ((2 ** 40, 2 ** 40, 165), "<f8", "declares"),
    ((-5, 165), "<f4", "negative size"),
    ((4, 165), "|O", "holds object values"),
    ((4, 165), "<f4", "truncated"),
])
def test_a_header_is_checked_before_its_data(tmp_path, capsys, shape, dtype, message):
    members = take_members()
    members["poses.npy"] = npy_header(shape, dtype) + bytes(64)
    path = archive(tmp_path / "lying.npz", members)
    with pytest.raises(MotionFileError, match=re.escape(message)):
        read_npz(str(path))
    assert message.split(" (")[0] in one_line_error(capsys, ["info", path])


def raw_header(text):
    """An npy version-1.0 header holding ``text`` as it is (numpy parses it as Python literals)."""
    body = text.encode("latin1")
    pad = 63 - (10 + len(body)) % 64
    return b"\x93NUMPY\x01\x00" + (len(body) + pad + 1).to_bytes(2, "little") + body + b" " * pad + b"\n"


@pytest.mark.parametrize("header", [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 165",  # never closed
    "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 3000 + ")" * 3000 + "}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (10**100, 165)}",
    "{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (4, 165)}",
])
def test_a_header_that_is_not_a_literal_is_one_line(tmp_path, capsys, header):
    members = take_members()
    members["poses.npy"] = raw_header(header)
    path = archive(tmp_path / "odd.npz", members)
    with pytest.raises(MotionFileError, match="key 'poses' is not a readable array"):
        read_npz(str(path))
    assert "is not a readable array" in one_line_error(capsys, ["info", path])


def test_bombs_and_unused_keys_are_never_inflated(tmp_path):
    members = take_members()
    members["junk.npy"] = zeros(300, npy_header((300 << 20,), "|u1"))  # 300 MB from 300 KB
    members["poses_extra"] = zeros(200)
    path = archive(tmp_path / "bomb.npz", members)
    assert os.path.getsize(path) < 2_000_000
    tracemalloc.start()
    try:
        motion = read_npz(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert motion.n_frames == 4 and peak < 20_000_000, peak
    # a used key inflating past what it declares is read only as far as it declares
    members = take_members()
    members["betas.npy"] = zeros(300, npy_header((10,), "<f4"))
    assert read_npz(str(archive(tmp_path / "long.npz", members))).n_frames == 4


def test_many_members_are_refused_before_they_are_listed(tmp_path):
    members = take_members()
    members.update({f"k{i}.npy": b"" for i in range(2000)})
    with pytest.raises(MotionFileError, match="lists 2007 arrays"):
        read_npz(str(archive(tmp_path / "many.npz", members)))


def test_pipes_and_devices_are_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.npz"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):
        assert "not a regular file" in one_line_error(capsys, ["info", path])
