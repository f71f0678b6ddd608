"""A token in a URL never reaches the logs (browsers pass it to the live stream as ``?token=``)."""

from __future__ import annotations

import logging

import pytest

from app.core import log_redaction


def test_tokens_in_urls_are_masked_in_uvicorn_records(caplog: pytest.LogCaptureFixture) -> None:
    log_redaction.install()
    logger = logging.getLogger("uvicorn.error")
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000",
                    "/api/v1/simulations/1/stream?hz=5&token=dtw_abcdef&ports=a.*")
    assert "dtw_abcdef" not in caplog.text
    assert "stream?hz=5&token=***&ports=a.*" in caplog.text
