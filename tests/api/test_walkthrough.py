"""Runs docs/api-walkthrough.sh (a declaration to its number, then changes after
registration), word for word, against a fresh server in its own process (its own SQLite
file), reading SMS codes with `manage.py sms_outbox` as a developer would."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_walkthrough_from_new_account_to_number(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # One SMS code a second, not a minute: the script's step 13 would otherwise wait (with
    # curl --retry, as a reader's run against `make run` does) for the 60-second interval.
    env.update(
        NRMM_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="nrmm.settings",
        NRMM_SMS_MIN_INTERVAL_SECONDS="1",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/reference", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        result = subprocess.run(
            ["bash", "docs/api-walkthrough.sh"],
            cwd=ROOT,
            env={**env, "BASE": base, "PY": sys.executable},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "国4" in result.stdout
    assert "环保登记号码: 工程机械沪L4-00001" in result.stdout
    # Changes: location at once, a retrofit's new number, the old one replaced, a sale.
    assert "新环保登记号码: 工程机械沪L4-00002" in result.stdout
    assert "号码已因发动机改装等原因换发新号" in result.stdout
    assert "张三的机械: 工程机械沪L4-00002" in result.stdout


def test_docs_show_the_script_that_is_tested():
    script = (ROOT / "docs/api-walkthrough.sh").read_text(encoding="utf-8")
    body = script[script.index("set -euo pipefail") :]
    assert body in (ROOT / "docs/api.md").read_text(encoding="utf-8")
