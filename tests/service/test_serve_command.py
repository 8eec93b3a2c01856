"""``promoready serve``'s command line without starting a server: flags over ``PROMOREADY_…`` variables,
and every refusal an exit 2 with its code, before anything listens."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from click.testing import CliRunner

from promoready.cli import _serve, main
from promoready.engine import errors
from promoready.service import Settings, hash_token


@pytest.fixture
def started(monkeypatch) -> list[Any]:
    """The settings ``serve`` would start uvicorn with (nothing is started)."""
    seen: list[Any] = []
    monkeypatch.setattr(_serve, "_serve", seen.append)
    for name in list(__import__("os").environ):
        if name.startswith("PROMOREADY_"):
            monkeypatch.delenv(name)
    return seen


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["serve", *args], env=env)


def test_no_configuration_is_loopback_port_8000_one_worker(started):
    assert run().exit_code == 0
    assert started == [Settings()]
    assert started[0].host == "127.0.0.1" and not started[0].auth


def test_flags_win_over_the_environment(started, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"tool:{hash_token('t')}\n")
    env = {"PROMOREADY_PORT": "9100", "PROMOREADY_WORKERS": "2", "PROMOREADY_TIMEOUT": "5",
           "PROMOREADY_CORS_ORIGINS": "https://a,https://b"}
    result = run("--port", "9200", "--tokens-file", str(tokens), "--cors-origin", "https://c", "--no-access-log", env=env)
    assert result.exit_code == 0, result.output
    (settings,) = started
    assert (settings.port, settings.workers, settings.timeout) == (9200, 2, 5.0)
    assert settings.cors_origins == ("https://c",) and settings.access_log is False
    assert settings.tokens == {"tool": hash_token("t")}


@pytest.mark.parametrize("args,env,code,words", [
    (["--host", "0.0.0.0"], {}, errors.USAGE_BIND, "without authentication"),
    (["--host", "10.1.2.3"], {"PROMOREADY_TOKENS": ""}, errors.USAGE_BIND, "without authentication"),
    (["--workers", "0"], {}, errors.USAGE_SERVE, "--workers / PROMOREADY_WORKERS"),
    ([], {"PROMOREADY_TIMEOUT": "soon"}, errors.USAGE_SERVE, "PROMOREADY_TIMEOUT"),
    ([], {"PROMOREADY_TOKENS": "not-a-pair"}, errors.USAGE_TOKENS, "NAME:SHA256HEX"),
    (["--tokens-file", "/nonexistent/tokens"], {}, errors.USAGE_TOKENS, "cannot read"),
])
def test_refusals_are_exit_2_with_their_code(started, args, env, code, words):
    result = run(*args, env=env)
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.output and words in result.output
    assert started == []


def test_a_port_in_use_is_exit_2(started):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run("--port", str(busy.getsockname()[1]))
    assert result.exit_code == 2 and f"[{errors.USAGE_BIND}]" in result.output and "cannot listen" in result.output
    assert started == []


def test_a_mask_into_a_custom_field_is_said_once_before_serving(started, tmp_path):
    db = str(tmp_path / "h.sqlite")
    result = run("--db", db, "--mask", "/packet/ssn", "--mask", "/decision/candidate_id")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("promoready: warning: --mask '/packet/ssn' names no field of the packet's schema: "
                             "masked where a packet carries it\n")
    (settings,) = started
    assert settings.masks == ("/packet/ssn", "/decision/candidate_id")
