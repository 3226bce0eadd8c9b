"""Watching a child process: wait for what it has observably done, never for a while.

Tests that signal a child (Ctrl-C) must do it at a known point of its work. They wait for
an event the child makes visible — text on one of its pipes, a file in the store — with a
generous timeout that only bounds a failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO

import pytest


class ChildOutput:
    """Everything a child writes to one pipe, read by a thread as it comes.

    Reading continuously also keeps the child from blocking on a full pipe.
    """

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._fd = pipe.fileno()
        self._chunks: list[bytes] = []
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := os.read(self._fd, 4096):
            with self._changed:
                self._chunks.append(chunk)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        """What the child wrote so far."""
        with self._changed:
            return b"".join(self._chunks).decode(errors="replace")

    def wait_for(self, predicate: Callable[[str], bool], *, timeout: float, what: str) -> str:
        """Block until ``predicate(text)`` holds; fail if the pipe closes first or
        ``timeout`` seconds pass. Returns the text."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                text = b"".join(self._chunks).decode(errors="replace")
                if predicate(text):
                    return text
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    why = "the child closed its output" if self._closed else f"{timeout} s"
                    pytest.fail(f"no {what} ({why}); the child wrote:\n{text}")
                self._changed.wait(remaining)

    def finish(self, timeout: float = 30) -> str:
        """All the child wrote, once it closed the pipe (call after the child ended);
        closes our end."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            pytest.fail("the child's pipe is still open")
        self._pipe.close()
        return self.text


def wait_until(
    condition: Callable[[], bool], child: subprocess.Popen, *, timeout: float, what: str
) -> None:
    """Poll ``condition`` (a check of files the child writes) until it holds; fail if the
    child ends first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if child.poll() is not None:
            pytest.fail(f"the child exited ({child.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout} s")
        time.sleep(0.02)


@contextlib.contextmanager
def watched_child(
    command: list[str],
) -> Iterator[tuple[subprocess.Popen, ChildOutput, ChildOutput]]:
    """Start ``command`` with its stdout and stderr read as they come; on leaving, kill it
    if it still runs, wait for it and collect both pipes (read ``.text`` afterwards)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = ChildOutput(child.stdout), ChildOutput(child.stderr)
    try:
        yield child, stdout, stderr
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
        stdout.finish()
        stderr.finish()
