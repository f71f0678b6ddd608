"""``python run.py serve`` refuses a taken port with a clear message and exit code."""

import socket
from pathlib import Path

import pytest

import run
from tests.postgres import PostgresServer


def test_taken_port_gives_clear_message_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        assert run.main(["serve", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_no_subcommand_means_serve(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        assert run.main(["--port", str(blocker.getsockname()[1])]) == 2


def test_serve_defaults_to_127_0_0_1_port_7777() -> None:
    args = run.build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 7777)


def test_out_of_range_port_is_a_usage_error_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run.main(["serve", "--port", "99999"])
    assert exit_info.value.code == 2
    assert "--port: must be a TCP port number 1..65535, got 99999" in capsys.readouterr().err


def test_help_lists_the_environment_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "DATABASE_URL" in out and "DATA_DIR" in out


def _serve_with_database(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        with socket.socket() as probe:  # a free port, released before serve checks it
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        assert run.main(["serve", "--port", str(port)]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_misspelled_database_scheme_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    err = _serve_with_database("sqllite:///./x.db", monkeypatch, capsys)
    assert "DATABASE_URL sqllite:///./x.db: unknown database scheme 'sqllite'" in err


def test_missing_driver_names_the_url_without_its_password(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    err = _serve_with_database("mssql+pymssql://app:s3cret@127.0.0.1:1/twin", monkeypatch, capsys)
    assert "mssql+pymssql://app:***@127.0.0.1:1/twin" in err and "s3cret" not in err
    assert "driver is not installed" in err


def test_unreachable_database_says_why(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    err = _serve_with_database(f"sqlite:///{tmp_path}/missing/dir/twin.db", monkeypatch, capsys)
    assert "cannot connect: unable to open database file" in err


def test_malformed_url_masks_the_password() -> None:
    from app.cli.serve import masked_url

    assert masked_url("post gres://app:s3cret@host/db") == "post gres://app:***@host/db"


def test_refused_postgres_login_is_one_line_without_the_password(postgres: PostgresServer,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql+psycopg://intruder:s3cret@127.0.0.1:{postgres.port}/postgres"
    err = _serve_with_database(url, monkeypatch, capsys)
    assert f"postgresql+psycopg://intruder:***@127.0.0.1:{postgres.port}/postgres: cannot connect:" in err
    assert 'role "intruder" does not exist' in err and "s3cret" not in err


def test_unreachable_postgres_server_says_so(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    err = _serve_with_database("postgresql+psycopg://app:s3cret@127.0.0.1:1/twin", monkeypatch, capsys)
    assert "postgresql+psycopg://app:***@127.0.0.1:1/twin: cannot connect:" in err and "s3cret" not in err


def test_serve_adds_its_host_to_the_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.serve import allow_serve_host
    from app.core.config import get_settings

    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    try:
        allow_serve_host("192.168.10.5")
        assert get_settings().allowed_hosts == ["localhost", "127.0.0.1", "[::1]", "192.168.10.5"]
        allow_serve_host("fd00::5")
        assert get_settings().allowed_hosts[-1] == "[fd00::5]"
        allow_serve_host("0.0.0.0")  # every interface: the operator names the hosts in ALLOWED_HOSTS
        assert "0.0.0.0" not in get_settings().allowed_hosts
    finally:
        monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
        get_settings.cache_clear()
