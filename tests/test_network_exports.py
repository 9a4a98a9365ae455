"""Admin's network-wide exports (access-log rows without partner) and a client of a partner:
a Staff member's erasure blanks the client's name in them, and the client's Art. 15 report lists
them. On PostgreSQL the suite runs as the ordinary role with row-level security, which hides those
rows from Staff: both go through narrow SECURITY DEFINER functions (migration d2e3f4a5b6c7)."""
import secrets

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.security.models import AccessLogEntry
from tests.test_erasure import _login, _person, _post, find_everywhere


def _network_rows(admin_engine):
    with admin_engine.connect() as conn:
        return conn.execute(text("SELECT detail FROM access_log WHERE partner_id IS NULL ORDER BY id")).scalars().all()


def test_staff_erasure_blanks_the_name_in_admins_network_export(client, make_user, factories, ctx, admin_engine):
    marker = secrets.token_hex(4).upper()
    person, _case = _person(factories, ctx, marker)
    other, _ = _person(factories, ctx, "KEEP" + marker)
    show = f"/clientview/show/{person.id}"
    web = _login(client, make_user, "t_admin", role="Admin", partners=())
    assert web.get(f"/exports/cases.csv?period=all&search=Quax{marker}").status_code == 200
    assert web.get(f"/exports/cases.csv?period=all&search=QuaxKEEP{marker}").status_code == 200
    assert web.get(f"/exports/cases.csv?period=all&search=mail.{marker.lower()}%40example.org").status_code == 200
    assert len(_network_rows(admin_engine)) == 3

    web = _login(client, make_user, "t_first")
    assert _post(web, f"/clients/{person.id}/erasure", show).status_code == 302
    web = _login(client, make_user, "t_second")
    assert _post(web, f"/clients/{person.id}/erasure/confirm", show).status_code == 302
    assert 'id="iq-erased"' in web.get(show).get_data(as_text=True)

    assert _network_rows(admin_engine) == [
        "/exports/cases.csv?period=all&search=[erased]",
        f"/exports/cases.csv?period=all&search=QuaxKEEP{marker}",  # names the other client: stays
        "/exports/cases.csv?period=all&search=[erased]",
    ]
    for needle in (f"Quax{marker}", f"mail.{marker.lower()}"):
        assert [hit for hit in find_everywhere(admin_engine, needle) if hit[0] == "access_log"] == [], needle


def test_the_function_refuses_another_partners_client_and_a_client_without_request(app, factories, ctx):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no row-level security")
    from app.security.scoping import partner_scope

    foreign = factories.client(partner="genres", last_name="Fremd" + secrets.token_hex(3))
    own = factories.client(partner="migra", last_name="Eigen" + secrets.token_hex(3))
    ctx.commit()
    migra, foreign_id, own_id = own.partner_id, foreign.id, own.id
    for client_id, message in ((foreign_id, "not in the caller"), (own_id, "no erasure")):
        with partner_scope([migra]):
            from app.extensions import db

            with pytest.raises(DBAPIError, match=message):
                db.session.execute(text("SELECT iq_redact_network_exports(:c)"), {"c": client_id})
            db.session.rollback()
            if client_id == foreign_id:
                with pytest.raises(DBAPIError, match="not in the caller"):
                    db.session.execute(text("SELECT * FROM iq_network_exports(:c)"), {"c": client_id}).all()
                db.session.rollback()
    with partner_scope([migra]):
        from app.extensions import db

        assert db.session.execute(text("SELECT count(*) FROM iq_network_exports(:c)"), {"c": own_id}).scalar() == 0
        # The caller's scope is back after the call.
        assert db.session.execute(text("SELECT current_setting('iq.partner_ids', true)")).scalar() == str(migra)
        db.session.rollback()


def test_art15_lists_admins_network_exports_that_may_contain_the_client(client, make_user, factories, ctx):
    marker = secrets.token_hex(4).upper()
    person = factories.client(partner="migra", first_name=f"Vor{marker}", last_name=f"Nach{marker}")
    factories.client(partner="migra", last_name=f"Andere{marker}")
    ctx.commit()
    web = _login(client, make_user, "t_admin", role="Admin", partners=())
    for query in ("period=all&state=all&x=ALL" + marker,  # network-wide: may contain the client
                  "period=all&partner=genres&x=GEN" + marker,  # another partner only: cannot
                  f"period=all&search=Nach{marker}",  # names the client: shown as it is
                  f"period=all&search=Andere{marker}"):  # names another person: hidden
        assert web.get(f"/exports/cases.csv?{query}").status_code == 200
    web = _login(client, make_user, "t_staff")
    for fmt in ("json", "pdf"):
        response = web.get(f"/clients/{person.id}/art15.{fmt}")
        assert response.status_code == 200, fmt
    report = web.get(f"/clients/{person.id}/art15.json").get_json()
    details = [row["detail"] for row in report["exports_with_names"]]
    assert details == [f"/exports/cases.csv?period=all&state=all&x=ALL{marker}",
                       f"/exports/cases.csv?period=all&search=Nach{marker}",
                       "/exports/cases.csv?period=all&search=…"]
    assert all(row["actor"] == "t_admin" for row in report["exports_with_names"])
    flat = str(report)
    assert f"GEN{marker}" not in flat and f"Andere{marker}" not in flat

    from tests.test_art15 import _pdf_text, _squash

    pdf = _squash(_pdf_text(web.get(f"/clients/{person.id}/art15.pdf").data))
    assert f"ALL{marker}" in pdf and f"GEN{marker}" not in pdf and f"Andere{marker}" not in pdf


def test_a_partner_export_row_is_still_listed_and_another_partners_is_not(client, make_user, factories, ctx):
    marker = secrets.token_hex(4).upper()
    person = factories.client(partner="migra", last_name=f"Nach{marker}")
    ctx.commit()
    web = _login(client, make_user, "t_migra")
    assert web.get(f"/exports/cases.csv?period=all&x=MIG{marker}").status_code == 200
    _login(client, make_user, "t_genres", partners=("genres",))
    assert web.get(f"/exports/cases.csv?period=all&x=GNR{marker}").status_code == 200
    web = _login(client, make_user, "t_migra", create=False)
    flat = str(web.get(f"/clients/{person.id}/art15.json").get_json())
    assert f"MIG{marker}" in flat and f"GNR{marker}" not in flat
    assert ctx.scalars(select(AccessLogEntry).where(AccessLogEntry.client_id.is_(None))).all()
