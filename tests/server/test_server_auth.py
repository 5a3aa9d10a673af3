"""The token file, loopback rules, settings limits and `talkrig serve`'s refusals and warnings."""

import errno
import os
import stat

import pytest

from talkrig import cli
from talkrig.client import http_client as addon_client
from talkrig.inference.server.auth import (TokenFileError, bearer_token, load_or_create_token,
                                           token_matches)
from talkrig.inference.server.settings import ServerSettings, SettingsError, is_loopback
from talkrig.userdirs import default_token_file


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path


def test_token_is_created_once_with_owner_only_permissions(xdg):
    path = default_token_file()
    assert path == xdg / "config" / "talkrig" / "token"
    token = load_or_create_token(path)
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == token  # the next start reuses it


def test_client_finds_the_same_token_file_as_the_server(xdg):
    token = load_or_create_token(default_token_file())  # where `talkrig serve` writes it
    assert addon_client.read_token() == token


def test_token_readable_by_others_is_tightened(tmp_path):
    path = tmp_path / "token"
    path.write_text("a-token-of-my-own-choosing\n")
    path.chmod(0o644)
    assert load_or_create_token(path) == "a-token-of-my-own-choosing"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", [b"", b"\n", b"  \r\n"])
def test_an_empty_token_file_left_by_a_cut_write_gets_a_new_token(tmp_path, content):
    path = tmp_path / "token"
    path.write_bytes(content)
    token = load_or_create_token(path)
    assert len(token) >= 40 and path.read_text() == token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == token
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no temporary file left


@pytest.mark.parametrize("content", [b"\x00\xff\xfe binary", b"abc", b"two words here, with spaces",
                                     b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100, b"x" * 100000])
def test_a_token_file_holding_no_token_is_an_error_that_says_what_to_do(tmp_path, content):
    path = tmp_path / "token"
    path.write_bytes(content)
    with pytest.raises(TokenFileError, match="does not hold a token.*delete it"):
        load_or_create_token(path)


def test_a_full_disk_leaves_no_partial_token_behind(tmp_path, monkeypatch):
    path = tmp_path / "token"
    real_fdopen = os.fdopen

    def full_disk(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, text):
                raise OSError(errno.ENOSPC, "No space left on device")

        return Full()

    monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises(TokenFileError, match="No space left on device"):
        load_or_create_token(path)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []  # nothing that would block the next start
    assert len(load_or_create_token(path)) >= 40


def test_bearer_header_parsing_and_comparison():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None and bearer_token(None) is None
    assert token_matches("abc", "abc") and not token_matches("abc", "abd")
    assert not token_matches("abc", None) and token_matches(None, None)


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.0.0.5", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("192.168.1.10", False), ("example.org", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_settings_refuse_an_open_server_without_token_and_bad_limits(tmp_path):
    with pytest.raises(SettingsError, match="token is required"):
        ServerSettings(host="0.0.0.0", token=None, data_dir=tmp_path)
    with pytest.raises(SettingsError, match="workers"):
        ServerSettings(workers=0, data_dir=tmp_path)
    with pytest.raises(SettingsError, match="at most 600 s"):
        ServerSettings(max_audio_seconds=900, data_dir=tmp_path)
    assert ServerSettings(host="0.0.0.0", token="t", data_dir=tmp_path).host == "0.0.0.0"


def test_serve_refuses_no_token_on_a_public_host(xdg, capsys):
    code = cli.main(["serve", "--host", "0.0.0.0", "--no-token", "--port", "0"])
    assert code == 2
    assert "--no-token is refused" in capsys.readouterr().err


def test_serve_warns_on_a_public_host_and_creates_the_token(xdg, monkeypatch, capsys):
    import logging
    import tempfile

    from threadpoolctl import threadpool_limits

    from talkrig.inference.server import serving

    # serve sets process-wide things (temp folder, log handler): restore them afterwards
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    monkeypatch.setenv("TMPDIR", tempfile.gettempdir())
    logger = logging.getLogger("talkrig")
    for attr in ("handlers", "propagate", "level"):
        monkeypatch.setattr(logger, attr, getattr(logger, attr) if attr != "handlers" else list(logger.handlers))
    seen = {}
    monkeypatch.setattr(serving, "serve", lambda app, settings, sock, log_level: seen.update(
        app=app, settings=settings, sock=sock))
    token_file = xdg / "tok" / "token"
    with threadpool_limits(limits=None):  # serve holds BLAS to one thread for the process: give it back
        code = cli.main(["serve", "--host", "0.0.0.0", "--port", "0", "--token-file", str(token_file),
                         "--data-dir", str(xdg / "data")])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning" in err and "reachable from other machines" in err
    assert f"token file: {token_file}" in err
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    with seen["sock"]:
        host, port = seen["sock"].getsockname()
    assert host == "0.0.0.0" and port > 0  # bound before serving; port 0 became a free one
    assert seen["settings"].host == "0.0.0.0" and seen["settings"].port == port
    assert seen["app"].state.settings.token == token_file.read_text().strip()
    assert tempfile.gettempdir() == str(xdg / "data" / "tmp")  # scratch files stay in the data folder


def test_serve_help_explains_token_and_docs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = capsys.readouterr().out
    for needle in ("token", "XDG_CONFIG_HOME", "/docs", "--host", "--workers", "warning"):
        assert needle in text
