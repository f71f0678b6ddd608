"""``python run.py serve`` refuses a taken port with a clear message and exit code."""

import socket

import pytest

import run


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
