"""The process register in the browser-facing views."""

from sqlalchemy import select

from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process
from tests.conftest import post_form, user


def _process(app, code="PAG", owner="duenio"):
    with app.app_context():
        process = create_process(code=code, name="Entrega del bono",
                                 category=ProcessCategory.OPERATIONAL, owner=user(owner))
        db.session.commit()
        return process.id, process.version


def _form(owner_id, **overrides):
    data = {"code": "SUP", "name": "Supervisión de agencias", "category": "support",
            "owner_id": owner_id, "description": "Visitas"}
    data.update(overrides)
    return data


def test_officer_creates_a_process_and_its_audit_event(app, login_as):
    client = login_as("calidad")
    with app.app_context():
        owner_id = user("duenio").id
    response = post_form(client, "/procesos/nuevo", _form(owner_id, code="sup-1"))
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "SUP-1 · Supervisión de agencias" in detail and "Creación" in detail
    with app.app_context():
        process = db.session.scalar(select(Process).where(Process.code == "SUP-1"))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "process"))
        assert event.entity_id == str(process.id) and event.actor_label == "calidad"


def test_duplicate_and_malformed_codes_are_refused_on_the_field(app, login_as):
    _process(app, "PAG")
    client = login_as("calidad")
    with app.app_context():
        owner_id = user("duenio").id
    html = post_form(client, "/procesos/nuevo", _form(owner_id, code="PAG")).get_data(as_text=True)
    assert "Ya existe un proceso con el código PAG." in html
    assert 'aria-invalid="true"' in html
    html = post_form(client, "/procesos/nuevo", _form(owner_id, code="P A G")).get_data(as_text=True)
    assert "letras mayúsculas, cifras y guiones" in html


def test_owner_must_have_an_owner_role(app, login_as):
    client = login_as("calidad")
    with app.app_context():
        certifier_id = user("certificador").id
    response = post_form(client, "/procesos/nuevo", _form(certifier_id))
    # The certifier is not even offered, so the field itself refuses the value, in Spanish.
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="owner_id-error"' in html
    assert "Not a valid choice" not in html
    with app.app_context():
        assert db.session.scalar(select(Process).where(Process.code == "SUP")) is None


def test_second_editor_with_a_stale_version_gets_a_conflict(app, login_as):
    process_id, version = _process(app)
    client = login_as("calidad")
    edit = {"name": "Pago", "category": "operational", "description": "A", "version": version,
            "code": "PAG", "active": "y"}
    with app.app_context():
        edit["owner_id"] = user("duenio").id
    assert post_form(client, f"/procesos/{process_id}/editar", edit).status_code == 302
    stale = dict(edit, name="Otro nombre", description="B")
    html = post_form(client, f"/procesos/{process_id}/editar", stale).get_data(as_text=True)
    assert "Otra persona modificó este registro" in html
    assert "Otro nombre" in html  # what the second person typed is still on the form
    with app.app_context():
        assert db.session.get(Process, process_id).name == "Pago"


def test_owner_edits_own_process_but_cannot_reassign_it(app, login_as):
    process_id, version = _process(app, owner="duenio")
    client = login_as("duenio")
    with app.app_context():
        other_id = user("duenio2").id
    response = post_form(client, f"/procesos/{process_id}/editar", {
        "name": "Entrega del bono", "category": "operational", "description": "Nuevo texto",
        "version": version, "owner_id": other_id, "code": "PAG"})
    assert response.status_code == 302
    with app.app_context():
        process = db.session.get(Process, process_id)
        assert process.description == "Nuevo texto"
        assert process.owner.username == "duenio" and process.active


def test_list_filters_by_text_and_hides_retired(app, login_as):
    _process(app, "PAG")
    with app.app_context():
        retired = create_process(code="OLD", name="Proceso retirado",
                                 category=ProcessCategory.SUPPORT, owner=user("duenio"))
        retired.active = False
        db.session.commit()
    client = login_as("direccion")  # a certifier lists only its share
    html = client.get("/procesos/").get_data(as_text=True)
    assert "PAG" in html and "OLD" not in html
    assert "OLD" in client.get("/procesos/?todos=1").get_data(as_text=True)
    assert "PAG" not in client.get("/procesos/?q=retirado&todos=1").get_data(as_text=True)


def test_user_text_is_escaped(app, login_as):
    with app.app_context():
        create_process(code="XSS", name="<script>alert(1)</script>",
                       category=ProcessCategory.SUPPORT, owner=user("duenio"))
        db.session.commit()
    html = login_as("calidad").get("/procesos/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_process_page_shows_its_documents_open_ncs_and_audits(app, login_as):
    """Each domain fills its section through qms.processes.sections (no import of theirs
    in the processes domain); a closed or another process's record is not listed."""
    from qms.core import audit
    from tests.audits.conftest import make_audit
    from tests.documents.conftest import make_document
    from tests.nonconformities.conftest import make_nc

    with app.app_context(), audit.acting_as(user("calidad")):
        process = create_process(code="PAG", name="Pago del bono",
                                 category=ProcessCategory.OPERATIONAL, owner=user("duenio"))
        other = create_process(code="TIC", name="Tecnología",
                               category=ProcessCategory.SUPPORT, owner=user("duenio"))
        make_document("PR-PAG-01", process=process)
        make_nc(process, title="Planilla tardía")
        make_nc(other, title="Respaldo sin prueba")
        make_audit([process], title="Auditoría del pago")
        db.session.commit()
        process_id = process.id
    html = login_as("direccion").get(f"/procesos/{process_id}").get_data(as_text=True)
    for section in ("Documentos", "No conformidades abiertas", "Auditorías"):
        assert f'{section} <span class="badge' in html, section
    assert "PR-PAG-01" in html and "Planilla tardía" in html and "Auditoría del pago" in html
    assert "Respaldo sin prueba" not in html
    assert '<a class="code" href="/documentos/' in html  # codes never break across lines
