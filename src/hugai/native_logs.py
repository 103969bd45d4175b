"""Keep MediaPipe's and TFLite's start-up chatter off the user's terminal.

The native libraries write straight to file descriptor 2 ("INFO: Created TensorFlow Lite XNNPACK
delegate", absl ``W0000 … inference_feedback_manager.cc`` warnings); no environment variable
turns them off in mediapipe 0.10.21. :func:`filtered_native_stderr` sends descriptor 2 to a
temporary file for the duration, keeps Python's own ``sys.stderr`` (progress bar, messages) on
the terminal, and afterwards writes back every captured line that is not known chatter, so a
real native error is delayed, never lost. ``HUGAI_NATIVE_LOGS=1`` shows everything as it comes.

Descriptor 2 belongs to the whole process, so one thread at a time redirects it (a lock): two
threads doing so at once would each restore what the other had put there.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

CHATTER = re.compile(
    r"^(INFO: Created TensorFlow Lite .*delegate"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:. ]+\d+ [\w./-]+:\d+\] )"
)
"""Lines dropped: TFLite's delegate notice, absl's pre-init notice, absl INFO/WARNING lines."""

_REDIRECTING = threading.Lock()


@contextlib.contextmanager
def filtered_native_stderr() -> Iterator[None]:
    if os.environ.get("HUGAI_NATIVE_LOGS"):
        yield
        return
    with _REDIRECTING:
        yield from _filtered()


def _filtered() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 to redirect
        yield
        return
    python_stderr = sys.stderr
    try:
        on_fd2 = python_stderr.fileno() == 2
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        on_fd2 = False  # e.g. a test runner's capture: it does not go through descriptor 2
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        if on_fd2:
            sys.stderr = io.TextIOWrapper(
                os.fdopen(os.dup(saved), "wb"),
                encoding=python_stderr.encoding or "utf-8",
                errors="backslashreplace",
                line_buffering=True,
            )
        try:
            yield
        finally:
            if on_fd2:
                sys.stderr.flush()
                sys.stderr.close()
                sys.stderr = python_stderr
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [
                line
                for line in sink.read().decode("utf-8", "replace").splitlines()
                if not CHATTER.match(line)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)
