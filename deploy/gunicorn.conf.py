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

#: One thread per worker (the sync worker). Threads (``GUNICORN_WORKER_CLASS=gthread``,
#: ``GUNICORN_THREADS=2``) would let a worker answer while one request streams an export
#: or waits on PostgreSQL, but they share the GIL with the CPU-bound requests of their
#: process: every write holds the audit chain's lock from its first audited flush to its
#: commit, and a holder waiting for the GIL makes every other writer wait. Under the
#: load run the lock's waits grew from 1.6 ms mean / 121 ms max (sync) to 45 ms / 3.6 s
#: (gthread × 2). Each thread holds at most one database connection: keep ``threads`` ≤
#: SQLAlchemy's pool (5, plus 10 overflow) and ``workers × 15`` under PostgreSQL's
#: ``max_connections`` (100). A proxy in front (nginx) buffers slow clients, so a sync
#: worker is not held by them.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _int("GUNICORN_THREADS", 1)

#: A sync worker still busy with one request after this long is killed and restarted
#: (gunicorn's default is 30 s): exports above the background thresholds
#: (``QMS_EXPORT_BACKGROUND_ROWS_*``) run outside the request, and the largest in-request
#: export (a 100,000-row CSV) stays well under it.
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
