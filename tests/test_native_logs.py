"""The CLI keeps native libraries' chatter off the terminal, and nothing else."""

from __future__ import annotations

import os
import sys
import threading

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


def test_two_threads_filtering_at_once_leave_descriptor_2_as_it_was(
    capfd: pytest.CaptureFixture,
) -> None:
    """Render threads each warm up under the filter; descriptor 2 is the process's, so the
    second must wait for the first, or the first one's restore is undone by the second's."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with filtered_native_stderr():
            a_in.set()
            b_in.wait(0.3)  # the second one cannot get in while the first is inside
            os.write(2, b"first kept\n")
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with filtered_native_stderr():
            b_in.set()
            a_out.wait(5)
            os.write(2, b"second kept\n")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "first kept" in err and "second kept" in err
    assert err.endswith("after\n")


def test_a_render_thread_warms_up_its_models_without_chatter(capfd: pytest.CaptureFixture) -> None:
    """Service workers start the models in each render thread before the first job; the start-up
    chatter (which MediaPipe prints for every new thread's graphs) stays out of their log."""
    from hugai.native_logs import CHATTER
    from hugai.perceive import models
    from hugai.pipeline import warm_up

    started: dict[str, bool] = {}

    def work() -> None:
        warm_up()
        started["graphs"] = all(getattr(models._local, k, None) for k in ("faces", "pose"))

    t = threading.Thread(target=work)
    t.start()
    t.join(120)
    assert started == {"graphs": True}
    err = capfd.readouterr().err
    assert not [line for line in err.splitlines() if CHATTER.match(line)], err
