"""`make run` starts a worker (or beat) again whenever it exits, saying so, with a growing pause."""

import sys
import time

from qoima.participants.management.commands.runplatform import Supervised


def test_a_child_that_exits_is_started_again_after_a_pause_that_doubles(tmp_path):
    said: list[str] = []
    log = tmp_path / "worker.log"
    worker = Supervised(
        "worker",
        [sys.executable, "-c", "import sys; print('dying'); sys.exit(3)"],
        log,
        said.append,
        first_pause=0.01,
        longest_pause=0.04,
    )
    worker.start()
    deadline = time.monotonic() + 60
    while worker.restarts < 4 and time.monotonic() < deadline:
        worker.check()
        time.sleep(0.01)
    worker.stop()
    worker.wait()

    exits = [line for line in said if "exited" in line]
    assert exits[:4] == [
        f"worker exited with code 3; starting it again in {pause} s. See {log}."
        for pause in ("0.01", "0.02", "0.04", "0.04")
    ]
    assert [line for line in said if "started again" in line][:4] == [
        f"worker started again (restart {n})." for n in range(1, 5)
    ]
    # Every run wrote to the same log.
    assert log.read_text().count("dying") >= 4


def test_a_child_that_keeps_running_is_left_alone(tmp_path):
    said: list[str] = []
    beat = Supervised(
        "beat",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        tmp_path / "beat.log",
        said.append,
    )
    beat.start()
    try:
        beat.check()
        assert beat.process is not None
        assert beat.process.poll() is None
        assert said == []
    finally:
        beat.stop()
        beat.wait()
