"""``make run``'s server: gunicorn and the scheduler started together, answering over real HTTP, and
stopped together, by a signal or when either of them exits."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests import factories

REPO = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # an unreaped child is gone too


def _gone(pids, seconds=40.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def served(committing_app, fitted, tmp_path):
    """``python -m bank_tax.serve`` on a free port over a migrated database with a champion; yields
    (process, port, web pid, scheduler pid) once /healthz answers; stops whatever is left afterwards."""
    reg = factories.champion_registry(committing_app, fitted, tmp_path / "models")
    port = _port()
    env = {
        **os.environ,
        "DATABASE_URL": committing_app.config["DATABASE_URL"],
        "MODEL_DIR": str(reg.root),
        "BANK_TAX_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "serve-test",
        "WEB_CONCURRENCY": "2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bank_tax.serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        line = proc.stdout.readline()
        web, scheduler = (int(x) for x in re.search(r"web pid (\d+), scheduler pid (\d+)", line).groups())
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield proc, port, web, scheduler, env
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def _metric(text: str, name: str, **labels) -> float:
    """The sum of a series' samples with these labels in Prometheus's text format."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_serves_the_app_with_the_scheduler_and_stops_both_on_a_signal(served):
    proc, port, web, scheduler, env = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as resp:
        ready = json.load(resp)
        server = resp.headers.get("Server", "")
    assert ready["status"] == "ready" and "gunicorn" in server.lower()
    assert _alive(web) and _alive(scheduler)
    # metrics add up over the workers and the scheduler beside them: its interval jobs run once at start
    for _ in range(8):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).close()
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        ran = _metric(text, "bank_tax_scheduler_job_runs_total", job="consent.expire", outcome="done")
        if ran or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert ran == 1  # the scheduler's own run at start, once
    requests = _metric(text, "bank_tax_http_request_duration_seconds_count", route="/healthz", status="200")
    assert requests >= 9  # the 8 above and the fixture's first, whichever worker answered
    # every counter is there from the start, at 0 until its first event
    assert "bank_tax_ingest_rows_total{" in text and "bank_tax_consent_changes_total{" in text
    assert _metric(text, "bank_tax_scheduler_job_runs_total", job="pipeline.run", outcome="failed") == 0
    assert 'bank_tax_scheduler_job_runs_total{job="pipeline.run",outcome="done"}' in text
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert _gone([web, scheduler])


def test_when_the_scheduler_dies_the_web_server_is_stopped_too(served):
    proc, _, web, scheduler, _ = served
    os.kill(scheduler, signal.SIGKILL)
    assert proc.wait(timeout=60) == 1  # not a requested stop: said so in the exit status
    assert _gone([web])
