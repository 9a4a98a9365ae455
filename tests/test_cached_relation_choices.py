"""Add and edit forms offer reference tables' choices from app.core.choices' cache (CachedRelationField),
but a submitted id is read by primary key: a record created meanwhile elsewhere (another worker: here
raw SQL, which no in-process hook sees) is accepted, an unknown id is refused and nothing is saved."""
import pytest
from sqlalchemy import delete, select, update

from app.core import choices

from app.cases.models import Case
from app.catalogues.models import ReferenceOccupation
from app.core.choices import CachedRelationField
from tests.test_save_messages import form_values
from tests.conftest import post_form


def test_case_forms_use_cached_choices_for_catalogues_but_not_for_the_counsellor(app):
    from app.cases.views import CaseView

    view = next(v for v in app.appbuilder.baseviews if isinstance(v, CaseView))
    for form in (view.add_form, view.edit_form):
        fields = vars(form)
        assert fields["reference_occupation"].field_class is CachedRelationField
        assert fields["competent_body"].field_class is CachedRelationField
        assert fields["counsellor"].field_class is not CachedRelationField  # the partner's staff only


@pytest.fixture(autouse=True)
def _remove_test_occupations(admin_engine):
    """Reference tables are not emptied between tests: remove this module's rows and cached choices."""
    yield
    table = ReferenceOccupation.__table__
    ours = select(table.c.id).where(table.c.key.like("t_crc_%"))
    with admin_engine.begin() as conn:
        conn.execute(update(Case.__table__).where(Case.__table__.c.reference_occupation_id.in_(ours))
                     .values(reference_occupation_id=None))
        conn.execute(delete(table).where(table.c.key.like("t_crc_%")))
    choices.forget()


def _new_occupation(admin_engine, key):
    """Written with Core on another connection: no hook of this process sees it (as another worker's write)."""
    table = ReferenceOccupation.__table__
    with admin_engine.begin() as conn:
        return conn.execute(table.insert().values(
            key=key, name_de=f"Beruf {key}", name_en=f"Occupation {key}", regulated=False,
            legal_basis="bqfg_federal", authority_kind="hwk").returning(table.c.id)).scalar()


def test_an_id_created_elsewhere_is_saved_and_an_unknown_id_refused(login_as, client, ctx, factories, admin_engine):
    case = factories.case()
    login_as("t_crc_staff", "Staff", ["migra"])
    page = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)  # fills the cache
    values = form_values(page)
    new_id = _new_occupation(admin_engine, "t_crc_elsewhere")
    assert f'value="{new_id}"' not in client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)  # cached list

    response = post_form(client, f"/caseview/edit/{case.id}", {**values, "reference_occupation": str(new_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ctx.expire_all()
    assert ctx.get(Case, case.id).reference_occupation_id == new_id

    values = form_values(client.get(f"/caseview/edit/{case.id}").get_data(as_text=True))
    refused = post_form(client, f"/caseview/edit/{case.id}", {**values, "reference_occupation": "987654321"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    ctx.expire_all()
    assert ctx.get(Case, case.id).reference_occupation_id == new_id


def test_an_occupation_added_in_this_process_is_offered_at_once(login_as, client, ctx, factories):
    case = factories.case()
    login_as("t_crc_fresh", "Staff", ["migra"])
    client.get(f"/caseview/edit/{case.id}")  # fills the cache
    occupation = ReferenceOccupation(key="t_crc_fresh", name_de="Frischer Beruf", name_en="Fresh occupation",
                                     regulated=False, legal_basis="bqfg_federal", authority_kind="hwk")
    ctx.add(occupation)
    ctx.commit()  # the flush drops the cached choices of the table (app.core.choices)
    page = client.get(f"/caseview/edit/{case.id}").get_data(as_text=True)
    assert f'value="{occupation.id}"' in page
