"""Locust scenario for ``bench/bench_load.py``: people of the programme logging in (several
on one account), browsing the registers and details, and reporting NCs about a tenth of
the time. Run by bench_load.py; by hand::

    .venv/bin/locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 \
        --users 100 --spawn-rate 2 --run-time 60s

``QMS_BENCH_PASSWORD`` is the demo password; ``QMS_BENCH_NCS`` the highest NC id to open.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from locust import HttpUser, between, task

LOCAL = ZoneInfo(os.environ.get("QMS_TIMEZONE", "America/Tegucigalpa"))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OPTION = re.compile(r'<select[^>]*name="process_id".*?</select>', re.S)
VALUE = re.compile(r'<option value="(\d+)"')
#: The six demo accounts; 100 users share them, so several log in to one account at once.
ACCOUNTS = ["calidad", "duenio", "direccion", "auditor", "admin", "certificador"]
WRITERS = {"calidad", "duenio", "direccion", "admin"}
_next_account = itertools.cycle(ACCOUNTS)
FILTERS = ["", "?status=closed", "?open_only=1", "?source=citizen_complaint",
           "?severity=major", "?overdue=1", "?sort=title", "?sort=-detected_on",
           "?sort=status", "?page=3", "?mine=1", "?q=olancho", "?process_id=3&open_only=1"]


class Person(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = next(_next_account)
        page = self.client.get("/login", name="GET /login").text
        token = TOKEN.search(page).group(1)
        with self.client.post("/login", name="POST /login", allow_redirects=False,
                              catch_response=True,
                              data={"username": self.username, "csrf_token": token,
                                    "password": os.environ.get("QMS_BENCH_PASSWORD",
                                                               "calidad-2026")}) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}")
        self.max_nc = int(os.environ.get("QMS_BENCH_NCS", "20000"))
        self.processes: list[str] = []

    @task(30)
    def register(self) -> None:
        self.client.get(f"/no-conformidades/{random.choice(FILTERS)}",
                        name="GET /no-conformidades/?…")

    @task(25)
    def detail(self) -> None:
        with self.client.get(f"/no-conformidades/{random.randint(1, self.max_nc)}",
                             name="GET /no-conformidades/<id>", catch_response=True) as answer:
            if answer.status_code == 404:  # an id no NC has (cancelled drafts do not exist)
                answer.success()

    @task(15)
    def home(self) -> None:
        self.client.get("/inicio", name="GET /inicio")

    @task(8)
    def documents(self) -> None:
        self.client.get("/documentos/", name="GET /documentos/")

    @task(4)
    def audit_log(self) -> None:
        if self.username in ("calidad", "admin", "direccion", "certificador"):
            self.client.get("/auditoria", name="GET /auditoria")

    @task(10)
    def report_nc(self) -> None:
        if self.username not in WRITERS:
            self.register()
            return
        page = self.client.get("/no-conformidades/nueva", name="GET /no-conformidades/nueva").text
        token = TOKEN.search(page)
        if not self.processes:
            select = OPTION.search(page)
            self.processes = VALUE.findall(select.group(0)) if select else []
        if token is None or not self.processes:
            return
        select_by = re.search(r'<select[^>]*name="detected_by_id".*?</select>', page, re.S)
        detected_by = re.search(r'<option(?=[^>]*\bselected\b)[^>]*value="(\d+)"',
                                select_by.group(0)) if select_by else None
        data = {
            "csrf_token": token.group(1), "version": "",
            "title": f"Carga {self.username} {random.getrandbits(48):x}",
            "description": "No conformidad reportada durante la prueba de carga.",
            "source": "process_monitoring", "severity": random.choice(["major", "minor"]),
            "process_id": random.choice(self.processes),
            "detected_on": datetime.now(LOCAL).date().isoformat(),  # not future there
            "detected_by_id": detected_by.group(1) if detected_by else "",
            "department_code": "", "municipality_code": "", "origin_type": "",
            "origin_id": "", "origin_label": "",
        }
        with self.client.post("/no-conformidades/nueva", data=data, allow_redirects=False,
                              name="POST /no-conformidades/nueva", catch_response=True) as answer:
            if answer.status_code != 302:
                answer.failure(f"report answered {answer.status_code}")
