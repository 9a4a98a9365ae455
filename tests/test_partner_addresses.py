"""Partner addresses come from a named source or stay empty, flagged for an Admin (network.md)."""
from sqlalchemy import select

from app.partners.models import Partner
from app.setup.reference_data import seed_partners


def test_coordinator_address_is_the_one_its_announcement_gives(ctx):
    migra = ctx.execute(select(Partner).where(Partner.code == "migra")).scalar_one()
    assert (migra.street, migra.postcode, migra.city) == ("Waldemarstraße 56", "18057", "Rostock")
    assert "migra e.V." in migra.address_source and not migra.address_unverified
    assert migra.postal_line == "Waldemarstraße 56 · 18057 Rostock"


def test_partners_without_a_source_have_no_street_and_are_flagged(ctx):
    others = ctx.execute(select(Partner).where(Partner.code != "migra")).scalars().all()
    assert len(others) == 7
    for partner in others:
        assert partner.street is None and partner.postcode is None and partner.address_unverified
        assert partner.postal_line == partner.city


def test_seed_keeps_an_address_an_admin_entered(ctx):
    agsa = ctx.execute(select(Partner).where(Partner.code == "agsa")).scalar_one()
    try:
        agsa.street, agsa.postcode, agsa.address_source = "Musterweg 1", "39104", "Schreiben vom 02.05.2011"
        ctx.flush()
        seed_partners(ctx)
        ctx.flush()
        assert (agsa.street, agsa.address_source) == ("Musterweg 1", "Schreiben vom 02.05.2011")
        assert not agsa.address_unverified
    finally:
        ctx.rollback()


def test_admin_sees_which_addresses_are_unverified(login_as):
    client = login_as("t_admin", "Admin", partners=())
    html = client.get("/partnerview/list/").get_data(as_text=True)
    assert html.count("label-warning") == 7  # every partner but migra
    show = client.get("/partnerview/list/?_flt_0_code=migra").get_data(as_text=True)
    assert "press release of migra e.V." in show


def test_a_street_without_a_source_is_refused(ctx):
    import pytest
    from flask_babel import force_locale

    from app.core.errors import DomainError

    agsa = ctx.execute(select(Partner).where(Partner.code == "agsa")).scalar_one()
    agsa.street, agsa.postcode = "Musterweg 1", "39104"
    with pytest.raises(DomainError) as refused:
        ctx.flush()
    ctx.rollback()
    assert refused.value.field == "address_source"
    with force_locale("de"):
        assert "Quelle" in str(refused.value)
    agsa = ctx.execute(select(Partner).where(Partner.code == "agsa")).scalar_one()
    assert agsa.street is None


def test_admin_form_refuses_a_street_without_a_source(login_as, ctx):
    from tests.conftest import post_form

    agsa = ctx.execute(select(Partner).where(Partner.code == "agsa")).scalar_one()
    web = login_as("t_admin", "Admin", partners=())
    web.get("/lang/de")
    form = {"code": "agsa", "name": agsa.name, "legal_form": agsa.legal_form or "", "street": "Musterweg 1",
            "postcode": "39104", "city": agsa.city, "state": agsa.state, "role": agsa.role, "address_source": "",
            "active": "y"}
    page = post_form(web, f"/partnerview/edit/{agsa.id}", form).get_data(as_text=True)
    assert "Quelle der Straßenanschrift" in page
    ctx.expire_all()
    assert ctx.get(Partner, agsa.id).street is None
    form["address_source"] = "Schreiben vom 02.05.2011"
    try:
        assert post_form(web, f"/partnerview/edit/{agsa.id}", form).status_code == 302
        ctx.expire_all()
        assert ctx.get(Partner, agsa.id).street == "Musterweg 1"
    finally:  # partners are reference data the other tests rely on: put the seeded state back
        ctx.expire_all()
        stored = ctx.get(Partner, agsa.id)
        stored.street = stored.postcode = stored.address_source = None
        ctx.commit()
