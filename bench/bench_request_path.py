"""What a request costs: the app's pages against a trivial Flask endpoint, both on
``gunicorn -w 2`` and measured with wrk in the same run, alternately.

    .venv/bin/python -m bench.bench_request_path --workdir /tmp/qbr-20k [--duration 10]
        [--rounds 2]

``--workdir`` is a database built by :mod:`bench.bench_registers` (``--workdir`` there);
without it a small one is built. Prints, per round, requests/s and latency of the trivial
endpoint, the anonymous login page, the health check and, logged in as the quality
officer, the home page and the NC register; and each page as a share of the trivial
endpoint measured just before it. The issue's floor: the login page ≥ 40 % of the
trivial endpoint. Needs ``wrk`` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from bench._common import ROOT

LOGIN_FLOOR = 0.40


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(module: str, env: dict, workers: int = 2) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         module], cwd=ROOT / ("bench" if module.startswith("trivial") else "."), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/", timeout=1)  # noqa: S310 - localhost
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{module} did not start")


def wrk(url: str, duration: int, cookie: str | None = None) -> tuple[float, dict[str, str], int]:
    command = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, latency, int(bad.group(1)) if bad else 0


def session_cookie(url: str, username: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token}).encode()
    opener.open(url + "/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookie:
        raise SystemExit("login failed")
    return cookie


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    workdir = args.workdir
    if workdir is None or not (workdir / "bench.sqlite3").exists():
        subprocess.run([sys.executable, "-m", "bench.bench_registers", "--ncs", "2000",
                        "--events", "20000", "--documents", "40", "--runs", "1",
                        "--no-exports", "--only", "login", "--workdir",
                        str(workdir or "/tmp/qms-bench-request-path")], cwd=ROOT, check=True)
        workdir = workdir or Path("/tmp/qms-bench-request-path")
    from qms.auth.demo import demo_password

    env = {**os.environ, "QMS_ENV": "production", "QMS_SECRET_KEY": secrets.token_hex(32),
           "QMS_PSEUDONYM_KEY": secrets.token_hex(32), "QMS_INSTANCE_DIR": str(workdir),
           "QMS_DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
           "QMS_SECURE_COOKIES": "0"}
    trivial, trivial_url = serve("trivial_wsgi:app", env)
    app, url = serve("wsgi:app", env)
    try:
        cookie = session_cookie(url, "calidad", demo_password())
        pages = [("login page (anonymous)", "/login", None), ("health check", "/healthz", None),
                 ("home (quality officer)", "/inicio", cookie),
                 ("NC register (quality officer)", "/no-conformidades/", cookie)]
        for page in (p for _, p, _ in pages):  # warm both workers
            for _ in range(4):
                urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - localhost
                    url + page, headers={"Cookie": cookie})).read()
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'round / page':<34} {'req/s':>8} {'p50':>8} {'p99':>8} {'non-2xx':>8} "
              f"{'% trivial':>10}")
        for round_ in range(1, args.rounds + 1):
            for name, path, with_cookie in pages:
                floor, floor_latency, _ = wrk(trivial_url + "/", args.duration)
                print(f"{round_}  trivial Flask endpoint{'':<10} {floor:>8,.0f} "
                      f"{floor_latency.get('50', '?'):>8} {floor_latency.get('99', '?'):>8}")
                rate, latency, bad = wrk(url + path, args.duration, with_cookie)
                share = rate / floor
                mark = ""
                if path == "/login":
                    mark = "ok" if share >= LOGIN_FLOOR else f"below {LOGIN_FLOOR:.0%}"
                print(f"{round_}  {name:<31} {rate:>8,.0f} {latency.get('50', '?'):>8} "
                      f"{latency.get('99', '?'):>8} {bad:>8} {share:>9.0%} {mark}", flush=True)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        for proc in (trivial, app):
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
