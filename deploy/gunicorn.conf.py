"""gunicorn settings for serving the SGC in production:
``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (``make serve``; ``bench.bench_load``
measures with it).

Every value can be set from the environment (``GUNICORN_*``, listed in the README);
command-line flags override both. The file is named explicitly rather than found in the
working directory, so the tests and benchmarks that start gunicorn with their own flags
are not changed behind their back.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

#: The app is CPU-bound Python (templates, ORM): two processes per core keep the cores
#: busy while a process waits on PostgreSQL, without more contention than the cores
#: can serve.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count())

#: Threads, so a worker keeps answering while one of its requests streams an export to
#: a slow client (a 20,000-NC CSV takes seconds), waits on PostgreSQL or hashes a
#: password (argon2 releases the GIL). Each thread holds at most one database
#: connection: keep ``threads`` ≤ SQLAlchemy's pool (5, plus 10 overflow) and
#: ``workers × 15`` under PostgreSQL's ``max_connections`` (100).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 2)

#: A worker whose main loop stops answering for this long is restarted. With threads the
#: loop keeps beating while a request runs, so a long export is not killed by it (the
#: sync worker killed any request past 30 s); larger exports go to the background.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
#: Seconds an idle keep-alive connection (from the proxy in front) is held open.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

#: The workers' heartbeat files on a RAM disk: on a busy or slow disk a heartbeat write
#: that blocks would get a healthy worker killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

#: Restart each worker after this many requests (0: never), staggered by the jitter, if
#: memory ever creeps up.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)
