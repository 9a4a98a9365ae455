"""`flask iq seed`: reference data and roles, idempotent."""
from sqlalchemy import func, select

from app.catalogues.models import CompetentBody, Country, ReferenceOccupation
from app.funding.models import FundingPeriod
from app.partners.models import Partner


def _counts(session):
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Partner, FundingPeriod, ReferenceOccupation, CompetentBody, Country)}


def test_seed_twice_gives_the_same_reference_data(app, ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["iq", "seed"])
    assert first.exit_code == 0, first.output
    ctx.expire_all()
    after_first = _counts(ctx)
    second = runner.invoke(args=["iq", "seed"])
    assert second.exit_code == 0, second.output
    ctx.expire_all()
    assert _counts(ctx) == after_first
    assert after_first["Partner"] == 8
    assert after_first["FundingPeriod"] == 4
    assert after_first["ReferenceOccupation"] >= 60
    assert after_first["CompetentBody"] >= 20
    assert after_first["Country"] >= 249
    codes = set(ctx.scalars(select(Partner.code)))
    assert {"migra", "genres", "vsp", "hs-wismar", "caritas-md", "agsa", "frohe-zukunft", "spi"} == codes
    assert [p.code for p in ctx.scalars(select(FundingPeriod).order_by(FundingPeriod.start))] == \
        ["2011", "2012", "2013", "2014"]
    for role in ("Admin", "PartnerAdmin", "Staff", "Management"):
        assert app.appbuilder.sm.find_role(role) is not None
