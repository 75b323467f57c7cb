"""Invented KoboToolbox exports in the shape of a real one, for demo data and benchmarks.

Same columns as an "XML values and headers" export with groups in headers and
select-multiple as "both" (summary column plus one 1/0 column per option), ``;``
separated and every field quoted, plus a household ID column. Answers are correlated the
way real ones are (a household's mood drives all its scores; payment delays drive
complaints; departments and waves differ), so results and trends show something real.
No real person is in here.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from qms.core import geo

LIKERT = ["p1_trato", "p2_informacion", "p3_puntualidad_pago", "p4_acceso_pago",
          "p5_satisfaccion_general"]
SERVICES = ["centro_salud", "escuela", "charla_nutricion", "ninguno"]
HEADER = (
    ["start", "end", "today", "username", "deviceid", "consentimiento",
     "datos_generales/id_hogar", "datos_generales/departamento", "datos_generales/municipio",
     "datos_generales/area", "datos_generales/componente", "datos_generales/sexo_titular",
     "datos_generales/edad_titular", "datos_generales/medio_pago"]
    + [f"satisfaccion/{q}" for q in LIKERT] + ["satisfaccion/p6_recomendaria",
                                               "uso_servicios/servicios_usados"]
    + [f"uso_servicios/servicios_usados/{s}" for s in SERVICES]
    + ["quejas/presento_queja", "quejas/tipo_queja", "quejas/queja_resuelta", "comentario",
       "ubicacion", "_ubicacion_latitude", "_ubicacion_longitude", "_ubicacion_altitude",
       "_ubicacion_precision", "_id", "_uuid", "_submission_time", "_validation_status",
       "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"]
)
#: Relative weight of each department in the programme (more households in the west).
DEPARTMENT_WEIGHTS = {"01": 4, "02": 3, "03": 6, "04": 7, "05": 8, "06": 7, "07": 6, "08": 9, "09": 2,
                "10": 7, "11": 1, "12": 6, "13": 9, "14": 3, "15": 6, "16": 7, "17": 3, "18": 6}
#: Department mood offset: some deliver the bond worse than others.
_DEPT_MOOD = {"09": -0.9, "10": -0.5, "13": -0.4, "02": -0.3, "17": 0.3, "08": 0.35, "05": 0.2}
_COMMENTS = [
    "Muy buena atención del personal, gracias por el apoyo a mis hijos.",
    "Todo bien; solo que la fila en el banco fue larga.",
    'El último pago se atrasó y nadie nos avisó. "Siempre es igual".',
    "Quisiera que el punto de pago estuviera más cerca de la comunidad.",
    "=HIPERVINCULO(\"http://ejemplo\") no entiendo el mensaje de texto",
    "La charla de nutrición fue muy útil.",
]
_COMPLAINTS = ["retraso_pago", "monto_incorrecto", "exclusion_padron", "acceso_punto_pago",
               "mal_trato", "otro"]


def _clip(value: float) -> int:
    return max(1, min(5, round(value)))


def rows(count: int, *, seed: int = 1, starts_on: date = date(2024, 3, 1), days: int = 30,
         mood: float = 0.0, start_id: int = 1) -> Iterator[list[str]]:
    rng = random.Random(seed)  # noqa: S311 - invented data, not secrets
    departments = list(DEPARTMENT_WEIGHTS)
    weights = [DEPARTMENT_WEIGHTS[d] for d in departments]
    municipalities = {d: [m.code for m in geo.municipalities_of(d)] for d in departments}
    base = datetime(starts_on.year, starts_on.month, starts_on.day, 14, tzinfo=UTC)
    for i in range(count):
        dept = rng.choices(departments, weights)[0]
        muni = rng.choice(municipalities[dept])
        household = 3.7 + mood + _DEPT_MOOD.get(dept, 0.0) + rng.gauss(0, 0.7)
        delay = rng.random() < 0.25 - 0.05 * mood
        scores = [_clip(household + rng.gauss(0, 0.6) - (1.2 if delay and q in (
            "p3_puntualidad_pago", "p5_satisfaccion_general") else 0)) for q in LIKERT]
        if rng.random() < 0.01:
            scores[3] = 99
        complaint = delay and rng.random() < 0.6 or rng.random() < 0.05
        used = [s for s in SERVICES[:3] if rng.random() < 0.5] or ["ninguno"]
        when = base + timedelta(minutes=rng.randrange(days * 24 * 60))
        started = when - timedelta(hours=rng.randrange(2, 30))
        lat, lon = 13.5 + rng.random() * 2.3, -89.0 + rng.random() * 5
        username = f"enc_{dept}{rng.randrange(1, 9):02d}"
        validation = rng.choices(["validation_status_approved", "",
                                  "validation_status_not_approved"], [60, 39.5, 0.5])[0]
        yield [
            started.isoformat(timespec="milliseconds").replace("+00:00", "-06:00"),
            (started + timedelta(minutes=rng.randrange(8, 25))).isoformat(
                timespec="milliseconds").replace("+00:00", "-06:00"),
            started.date().isoformat(), username, f"collect:{rng.getrandbits(60):x}", "si",
            f"HN-{rng.randrange(10**7, 10**8)}", dept, muni, rng.choice(["urbano", "rural"]),
            rng.choice(["educacion", "salud", "nutricion"]),
            rng.choices(["mujer", "hombre"], [85, 15])[0], str(rng.randrange(18, 75)),
            rng.choice(["agencia_bancaria", "billetera_movil", "pago_comunitario"]),
            *[str(s) for s in scores], str(max(0, min(10, round(household * 2 + rng.gauss(0, 1))))),
            " ".join(used), *["1" if s in used else "0" for s in SERVICES],
            "si" if complaint else "no",
            (("retraso_pago" if delay else rng.choice(_COMPLAINTS)) if complaint else ""),
            rng.choice(["si", "no", "en_proceso"]) if complaint else "",
            rng.choice(_COMMENTS) if rng.random() < 0.2 else "",
            f"{lat:.6f} {lon:.6f} 900.0 10.0", f"{lat:.6f}", f"{lon:.6f}", "900.0", "10.0",
            str(start_id + i), str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            when.replace(tzinfo=None).isoformat(timespec="seconds"), validation, "",
            "submitted_via_web", username, "vN4bR7kQy2TzXc9LmWp3hD", "", str(i + 1),
        ]


def write_csv(path: Path | str, count: int, **options) -> Path:
    """A Kobo-style CSV: ``;`` separated, every field quoted, UTF-8."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writerow(HEADER)
        writer.writerows(rows(count, **options))
    return path
