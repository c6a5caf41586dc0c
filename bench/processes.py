"""Stopping a server process that a test or the bench started, whatever state it is in.

A graceful stop (gunicorn waits for its workers, Virtuoso checkpoints) can take long on a
loaded machine, which is no failure; a process that ignores it must still not outlive its
caller, so SIGKILL follows SIGTERM after a while.
"""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen, seconds: float = 60) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``seconds``."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
