"""The production server settings (``deploy/gunicorn.conf.py``): gunicorn accepts them,
and the environment overrides each one the README lists."""

import multiprocessing
import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn.conf.py"


def _settings(monkeypatch, **env):
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults_are_sync_workers_two_per_core(monkeypatch):
    conf = _settings(monkeypatch)
    assert conf["workers"] == 2 * multiprocessing.cpu_count()
    assert (conf["worker_class"], conf["threads"], conf["timeout"]) == ("sync", 1, 60)
    assert conf["max_requests"] == 0


def test_the_environment_overrides_every_setting(monkeypatch):
    conf = _settings(monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="4",
                     GUNICORN_WORKER_CLASS="gthread", GUNICORN_TIMEOUT="90",
                     GUNICORN_GRACEFUL_TIMEOUT="10", GUNICORN_KEEPALIVE="2",
                     GUNICORN_MAX_REQUESTS="1000", GUNICORN_MAX_REQUESTS_JITTER="50",
                     GUNICORN_BIND="0.0.0.0:9000")
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (3, 4, "gthread")
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (90, 10, 2)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (1000, 50)
    assert conf["bind"] == "0.0.0.0:9000"


def test_gunicorn_accepts_the_file():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "QMS_ENV": "testing"}
    result = subprocess.run([str(gunicorn), "--check-config", "-c", str(CONF), "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
