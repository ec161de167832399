"""`make run` prints where to open the site, the demo logins and one line per notable event,
and starts a worker (or beat) again whenever it exits, saying so, with a growing pause."""

import datetime
import logging
import logging.config
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from qoima.chain.anvil import free_port
from qoima.events import EVENTS_LOGGER, PLATFORM_LOGGERS, Clock, logging_config
from qoima.participants.demo import DEMO_LOGINS
from qoima.participants.management.commands.runplatform import Supervised

ROOT = Path(__file__).resolve().parent.parent.parent
# What would point `make run` at the test's services rather than its embedded defaults.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "CHAIN_RPC_URL",
    "EMAIL_BACKEND",
    "EMAIL_FILE_PATH",
    "EVENTS_LOG_FILE",
    "QOIMA_VAR_DIR",
}


def _wait_for(path: Path, process: subprocess.Popen[bytes], *texts: str) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace")
        if all(t in text for t in texts) or process.poll() is not None:
            return text
        time.sleep(0.5)
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.integration
def test_make_run_prints_the_site_the_logins_and_a_line_per_mail_not_the_mail(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(QOIMA_VAR_DIR=str(tmp_path / "var"), ANVIL_PORT=str(free_port()))
    env["PYTHONUNBUFFERED"] = "1"
    port = free_port()
    console = tmp_path / "console.txt"
    with console.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runplatform", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(
            console, process, "Press Ctrl-C", "mail to", "worker qoima-worker@", "matcher matcher@"
        )
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = console.read_text(encoding="utf-8")

    assert f"Qoima is running at http://127.0.0.1:{port}/" in text
    for login in DEMO_LOGINS:
        assert re.search(rf"^  {re.escape(str(login.role.label))} +{login.username}$", text, re.M)
    assert f"http://127.0.0.1:{port}/admin/mail/" in text
    # The demo's applications are submitted for review: each officer gets a mail, said in one
    # line with the time, the recipient and the subject.
    assert re.search(
        r"^\d\d:\d\d mail to compliance@demo\.qoima\.kz — Заявка на рассмотрение: ",
        text,
        re.M,
    ), text
    assert re.search(r"^\d\d:\d\d worker qoima-worker@\S+ started$", text, re.M), text
    # The exchange's matcher runs with the platform.
    assert re.search(r"^\d\d:\d\d matcher matcher@\S+ started$", text, re.M), text
    assert "Content-Type:" not in text
    assert "MIME-Version" not in text
    assert "Content-Transfer-Encoding" not in text
    assert re.search(r"^\d\d:\d\d stopped; data is kept under ", text, re.M), text
    # The mail itself and each process's own log are files.
    var = tmp_path / "var"
    kept = b"".join(f.read_bytes() for f in (var / "mail").iterdir())
    assert b"To: compliance@demo.qoima.kz" in kept
    worker_log = (var / "log" / "worker.log").read_text(encoding="utf-8")
    assert "ready." in worker_log
    assert "ready." not in text


def test_only_events_and_errors_reach_the_events_file_one_line_each_in_almaty_time(tmp_path):
    events = tmp_path / "events.log"
    raw = tmp_path / "raw.log"
    logging.config.dictConfig(logging_config(events_file=str(events), raw_file=str(raw)))
    try:
        logging.getLogger("qoima.events").info("mail to %s — %s", "a@demo.qoima.kz", "Одобрено")
        logging.getLogger("qoima.chain.tasks").info("a routine line")
        logging.getLogger("celery.worker").error("not the platform's")
        logging.getLogger("issuance.services").error("the registry is gone\nTraceback: …")
    finally:
        # Back to the test settings' logging, without the handlers set on the named loggers.
        for name in (*PLATFORM_LOGGERS, EVENTS_LOGGER):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).setLevel(logging.NOTSET)
        logging.config.dictConfig(settings.LOGGING)
    lines = events.read_text(encoding="utf-8").splitlines()
    assert [line[6:] for line in lines] == [
        "mail to a@demo.qoima.kz — Одобрено",
        "error in issuance.services: the registry is gone",
    ]
    assert all(re.match(r"\d\d:\d\d ", line) for line in lines)
    assert "a routine line" in raw.read_text(encoding="utf-8")

    record = logging.makeLogRecord({"name": "qoima.events", "msg": "worker started"})
    record.created = datetime.datetime(2026, 12, 5, 10, 2, tzinfo=datetime.UTC).timestamp()
    assert Clock().format(record) == "15:02 worker started"


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
