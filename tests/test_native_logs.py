"""The CLI keeps native libraries' chatter off the terminal, and nothing else."""

from __future__ import annotations

import os
import sys

import pytest

from hugai.native_logs import filtered_native_stderr

CHATTER = (
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "W0000 00:00:1795286051.082165   10200 inference_feedback_manager.cc:114] Feedback manager\n"
    "I0000 00:00:1795286051.436297   10204 gl_context.cc:369] GL version: 3.2\n"
)


def test_chatter_is_dropped_and_real_native_errors_are_kept(capfd: pytest.CaptureFixture) -> None:
    with filtered_native_stderr():
        os.write(2, CHATTER.encode())
        os.write(2, b"E0000 00:00:1.0 1 calculator_graph.cc:1] real failure\n")
        print("python message", file=sys.stderr)
    err = capfd.readouterr().err
    assert "python message" in err
    assert "real failure" in err
    assert "XNNPACK" not in err and "InitializeLog" not in err and "Feedback" not in err
    assert "GL version" not in err
    os.write(2, b"after\n")  # descriptor 2 is back
    assert capfd.readouterr().err == "after\n"


def test_everything_shows_when_asked(
    capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUGAI_NATIVE_LOGS", "1")
    with filtered_native_stderr():
        os.write(2, CHATTER.encode())
    assert "XNNPACK" in capfd.readouterr().err
