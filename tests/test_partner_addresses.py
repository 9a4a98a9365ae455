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
