"""What a request costs: the app's pages against a trivial Flask endpoint, both on
``gunicorn -w 2`` and measured with wrk in the same run, alternately.

    .venv/bin/python -m bench.bench_request_path --workdir /tmp/qbr-20k [--duration 10]
        [--rounds 2] [--pages login,signed-in] [--baseline /path/to/other/checkout]

``--workdir`` is a database built by :mod:`bench.bench_registers` (``--workdir`` there);
without it a small one is built. The trivial endpoint is ``bench/trivial_wsgi.py``: a bare
Flask app returning "ok", served by its own ``gunicorn -w 2`` beside the application's.
Prints, per round, requests/s and latency of the trivial endpoint, the anonymous login
page, the health check and, logged in as the quality officer, a tiny signed-in page (the
password form: base template, navigation, user load), the home page and the NC register;
each page as a share of the trivial endpoint measured just before it, in requests/s and
in the workers' CPU time per request (read from /proc: steadier than requests/s when
other work shares the machine). The last lines give the login page's median share over
the rounds against the issue's floor: ≥ 40 % of the trivial endpoint. Needs ``wrk``
(apt-get install wrk). ``--baseline`` serves a second copy of the application from
another checkout (main, say) on the same database and measures each of its pages right
after this one's: before and after in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
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


def serve(module: str, env: dict, workers: int = 2,
          tree: Path = ROOT) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         module], cwd=tree / ("bench" if module.startswith("trivial") else "."), env=env,
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


def workers_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    total = 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker restarted
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(url: str, duration: int, cookie: str | None = None,
        server: subprocess.Popen | None = None) -> tuple[float, dict[str, str], int, float]:
    """requests/s, latency percentiles, non-2xx count and the workers' CPU µs/request."""
    command = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    before = workers_cpu(server) if server else 0.0
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used = workers_cpu(server) - before if server else 0.0
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    count = int(re.search(r"(\d+) requests in", out).group(1))
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, latency, int(bad.group(1)) if bad else 0, used / max(count, 1) * 1e6


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
    parser.add_argument("--pages", default="",
                        help="comma-separated subset: login,health,signed-in,home,register")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of the application, measured alongside")
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
    servers = [trivial, app]
    baseline = baseline_url = None
    if args.baseline:
        baseline, baseline_url = serve("wsgi:app", env, tree=args.baseline.resolve())
        servers.append(baseline)
    try:
        cookie = session_cookie(url, "calidad", demo_password())
        pages = [("login", "login page (anonymous)", "/login", None),
                 ("health", "health check", "/healthz", None),
                 ("signed-in", "tiny signed-in page (password form)", "/cuenta/contrasena",
                  cookie),
                 ("home", "home (quality officer)", "/inicio", cookie),
                 ("register", "NC register (quality officer)", "/no-conformidades/", cookie)]
        if args.pages:
            wanted = set(args.pages.split(","))
            pages = [page for page in pages if page[0] in wanted]
        for _, _, page, page_cookie in pages:  # warm both workers
            for _ in range(4):
                urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - localhost
                    url + page, headers={"Cookie": page_cookie or ""})).read()
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'round / page':<40} {'req/s':>7} {'p50':>8} {'p99':>8} {'non-2xx':>7} "
              f"{'CPU µs':>7} {'% trivial':>9} {'CPU %':>6}")
        login_shares: list[tuple[float, float]] = []
        for round_ in range(1, args.rounds + 1):
            for key, name, path, with_cookie in pages:
                floor, floor_latency, _, floor_cpu = wrk(trivial_url + "/", args.duration,
                                                          server=trivial)
                print(f"{round_}  {'trivial Flask endpoint':<37} {floor:>7,.0f} "
                      f"{floor_latency.get('50', '?'):>8} {floor_latency.get('99', '?'):>8} "
                      f"{'':>7} {floor_cpu:>7,.0f}")
                rate, latency, bad, cpu = wrk(url + path, args.duration, with_cookie, server=app)
                share, cpu_share = rate / floor, floor_cpu / cpu if cpu else 0.0
                mark = ""
                if key == "login":
                    login_shares.append((share, cpu_share))
                    mark = "ok" if share >= LOGIN_FLOOR else f"below {LOGIN_FLOOR:.0%}"
                print(f"{round_}  {name:<37} {rate:>7,.0f} {latency.get('50', '?'):>8} "
                      f"{latency.get('99', '?'):>8} {bad:>7} {cpu:>7,.0f} {share:>9.0%} "
                      f"{cpu_share:>6.0%} {mark}", flush=True)
                if baseline is not None:
                    rate, latency, bad, cpu = wrk(baseline_url + path, args.duration,
                                                  with_cookie, server=baseline)
                    print(f"{round_}    {'baseline: ' + name:<35} {rate:>7,.0f} "
                          f"{latency.get('50', '?'):>8} {latency.get('99', '?'):>8} {bad:>7} "
                          f"{cpu:>7,.0f} {rate / floor:>9.0%} "
                          f"{floor_cpu / cpu if cpu else 0:>6.0%}", flush=True)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if login_shares:
            rates = statistics.median(share for share, _ in login_shares)
            cpus = statistics.median(cpu_share for _, cpu_share in login_shares)
            verdict = "meets" if rates >= LOGIN_FLOOR else "is below"
            print(f"login page / trivial endpoint, median of {len(login_shares)} rounds: "
                  f"{rates:.0%} in requests/s, {cpus:.0%} in worker CPU per request — "
                  f"{verdict} the {LOGIN_FLOOR:.0%} floor (requests/s)")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
