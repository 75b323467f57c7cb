"""Locust scenario for ``bench/bench_load.py``: people of the programme logging in (several
on one account), browsing the registers and details of every domain they can see, and
reporting NCs about a tenth of the time. Run by bench_load.py; by hand::

    .venv/bin/locust -f bench/locustfile.py --headless --host http://127.0.0.1:8000 \
        --users 100 --spawn-rate 2 --run-time 60s

``QMS_BENCH_PASSWORD`` is the demo password; ``QMS_BENCH_NCS`` the highest NC id to open;
``QMS_BENCH_WAIT`` the think time between two clicks, in seconds (``1-3``).

Each person reads the navigation of their home page and browses only the registers it
offers them (as a person clicks what they are shown: no 403 is part of the load); the
details they open are links read from the registers they visited. Every answer but the
expected one (200, the 302 after a login or a report) counts as a failure.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from locust import FastHttpUser, between, task

LOCAL = ZoneInfo(os.environ.get("QMS_TIMEZONE", "America/Tegucigalpa"))
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SELECT = r'<select[^>]*name="{}".*?</select>'
VALUE = re.compile(r'<option value="(\d+)"')
SELECTED = re.compile(r'<option(?=[^>]*\bselected\b)[^>]*value="(\d+)"')
#: The seven demo accounts; 100 people share them, so several log in to one account at once.
ACCOUNTS = ["calidad", "duenio", "direccion", "auditor", "admin", "certificador", "duenia2"]
_next_account = itertools.cycle(ACCOUNTS)
#: Who may report an NC (everyone but the certifier, who only reads).
REPORTERS = set(ACCOUNTS) - {"certificador"}
#: Registers, by the link the navigation shows, and the pattern of their detail links.
REGISTERS = {
    "/no-conformidades/": r"/no-conformidades/(\d+)\"",
    "/documentos/": r"/documentos/(\d+)\"",
    "/auditorias/": r"/auditorias/(\d+)\"",
    "/quejas/": r"/quejas/(\d+)\"",
    "/procesos/": r"/procesos/(\d+)\"",
    "/objetivos/": r"/objetivos/(\d+)\"",
    "/encuestas/": r"/encuestas/(\d+)\"",
    "/revision-direccion/": r"/revision-direccion/(\d+)\"",
    "/evidencias/": r"/evidencias/(\d+)\"",
    "/pagos/": None,
    "/avisos/": None,
}
NC_FILTERS = ["", "?status=closed", "?open_only=1", "?source=citizen_complaint",
              "?severity=major", "?overdue=1", "?sort=title", "?sort=-detected_on",
              "?sort=status", "?page=3", "?mine=1", "?q=olancho", "?process_id=3&open_only=1"]


#: Seconds a person waits between two clicks (``QMS_BENCH_WAIT``, "1-3" by default).
WAIT = tuple(float(x) for x in os.environ.get("QMS_BENCH_WAIT", "1-3").split("-", 1))


class Person(FastHttpUser):  # geventhttpclient: less of the 2 shared cores for the client
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        self.username = next(_next_account)
        self.max_nc = int(os.environ.get("QMS_BENCH_NCS", "20000"))
        self.processes: list[str] = []
        self.details: dict[str, list[str]] = {}
        page = self.client.get("/login", name="/login").text
        token = TOKEN.search(page).group(1)
        with self.client.post("/login", name="/login", allow_redirects=False,
                              catch_response=True,
                              data={"username": self.username, "csrf_token": token,
                                    "password": os.environ.get("QMS_BENCH_PASSWORD",
                                                               "calidad-2026")}) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}")
        home = self._get("/inicio", "/inicio")
        self.registers = [r for r in REGISTERS if f'href="{r}"' in home]
        self.can_report = self.username in REPORTERS
        self.audit_log = 'href="/auditoria"' in home
        self.pending_list = 'href="/pendientes"' in home

    def _get(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{path} answered {answer.status_code}")
            return answer.text or ""

    # ----------------------------------------------------------------- browsing

    @task(22)
    def nc_register(self) -> None:
        page = self._get(f"/no-conformidades/{random.choice(NC_FILTERS)}",
                         "/no-conformidades/?…")
        if self.username == "certificador":  # sees only the NCs shared with them
            self.details["/no-conformidades/"] = re.findall(
                REGISTERS["/no-conformidades/"], page) or self.details.get(
                "/no-conformidades/", [])

    @task(18)
    def nc_detail(self) -> None:
        if self.username == "certificador":
            shared = self.details.get("/no-conformidades/")
            if not shared:
                return self.nc_register()
            number = int(random.choice(shared))
        else:
            number = random.randint(1, self.max_nc)
        with self.client.get(f"/no-conformidades/{number}", name="/no-conformidades/<id>",
                             catch_response=True) as answer:
            if answer.status_code not in (200, 404):  # 404: an id no NC has
                answer.failure(f"NC {number} answered {answer.status_code}")
        return None

    @task(16)
    def register(self) -> None:
        others = [r for r in self.registers if r != "/no-conformidades/"]
        if not others:
            return self.nc_register()
        path = random.choice(others)
        page = self._get(path, path)
        if REGISTERS[path]:
            self.details[path] = sorted(set(re.findall(REGISTERS[path], page)))

    @task(14)
    def detail(self) -> None:
        known = [path for path, ids in self.details.items() if ids]
        if not known:
            return self.register()
        path = random.choice(known)
        self._get(f"{path}{random.choice(self.details[path])}", f"{path}<id>")

    @task(10)
    def home(self) -> None:
        self._get("/inicio", "/inicio")

    @task(4)
    def pending(self) -> None:
        if not self.pending_list:
            return self.home()
        self._get("/pendientes", "/pendientes")
        return None

    @task(3)
    def audit_trail(self) -> None:
        if not self.audit_log:
            return self.register()
        self._get("/auditoria", "/auditoria")

    # ------------------------------------------------------------------ writing

    @task(13)
    def report_nc(self) -> None:
        """About a tenth of the requests: an NC reported through the form."""
        if not self.can_report:
            return self.nc_register()
        page = self._get("/no-conformidades/nueva", "/no-conformidades/nueva")
        token = TOKEN.search(page)
        if not self.processes:
            select = re.search(SELECT.format("process_id"), page, re.S)
            self.processes = VALUE.findall(select.group(0)) if select else []
        if token is None or not self.processes:
            return None
        select_by = re.search(SELECT.format("detected_by_id"), page, re.S)
        detected_by = SELECTED.search(select_by.group(0)) if select_by else None
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
                              name="/no-conformidades/nueva", catch_response=True) as answer:
            if answer.status_code != 302:
                answer.failure(f"report answered {answer.status_code}")
        return None
