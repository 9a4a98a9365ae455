"""PostgreSQL row-level security backs up the ORM scope, checked as a NON-superuser role.

Superusers (the local test login) always bypass RLS, so these tests create an ordinary role and
connect as it. Raw SQL is used on purpose: it stands for a query that forgot the ORM scope.
"""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.security.scoping import partner_scope, system_scope

ROLE = "iq_rls_tester"


@pytest.fixture
def app_role_engine(app, database_url, admin_engine):
    if not database_url.startswith("postgresql"):
        pytest.skip("row-level security exists on PostgreSQL only; SQLite relies on the ORM scope")
    with admin_engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).scalar()
        if not exists:
            conn.execute(text(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}"))
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {ROLE}"))
    engine = create_engine(make_url(database_url).set(username=ROLE, password=None))
    yield engine
    engine.dispose()


def _ids(ctx, *codes):
    from app.partners.models import Partner

    return {c: ctx.query(Partner.id).filter_by(code=c).scalar() for c in codes}


def test_forgotten_filter_returns_only_own_partner_rows(app, ctx, factories, app_role_engine):
    factories.case(partner="migra")
    factories.case(partner="genres")
    factories.case(partner="genres")
    ids = _ids(ctx, "migra", "genres")

    with app.app_context():
        with partner_scope([ids["migra"]]), Session(app_role_engine) as session:
            rows = session.execute(text("SELECT partner_id FROM counselling_case")).scalars().all()
            clients = session.execute(text("SELECT count(*) FROM client")).scalar()
        assert rows == [ids["migra"]]
        assert clients == 1

        with partner_scope([ids["genres"]]), Session(app_role_engine) as session:
            assert session.execute(text("SELECT count(*) FROM counselling_case")).scalar() == 2

        with system_scope(), Session(app_role_engine) as session:
            assert session.execute(text("SELECT count(*) FROM counselling_case")).scalar() == 3

        # A user without partners: the database shows nothing.
        with partner_scope([]), Session(app_role_engine) as session:
            assert session.execute(text("SELECT count(*) FROM counselling_case")).scalar() == 0


def test_database_refuses_writes_into_another_partner(app, ctx, factories, app_role_engine):
    case = factories.case(partner="genres")
    ids = _ids(ctx, "migra", "genres")
    with app.app_context(), partner_scope([ids["migra"]]), Session(app_role_engine) as session:
        updated = session.execute(text("UPDATE counselling_case SET notes = 'x' WHERE id = :id"), {"id": case.id})
        assert updated.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            session.execute(
                text("INSERT INTO training (partner_id, funding_period_id, date, title, target_institution, hours,"
                     " participants_female, participants_male, participants_diverse, created_at, updated_at)"
                     " VALUES (:p, :f, '2013-01-10', 't', 'jobcenter', 1, 0, 0, 0, now(), now())"),
                {"p": ids["genres"], "f": case.funding_period_id},
            )
    ctx.expire_all()
    assert ctx.get(type(case), case.id).notes is None


def test_whole_suite_talks_to_postgresql_as_a_role_bound_by_rls(app, ctx, database_url):
    """conftest runs the app as an ordinary role, so every PostgreSQL test has RLS switched on."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    user, superuser, bypass = ctx.execute(
        text("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert (user, superuser, bypass) == ("iq_app_test", False, False)


def test_database_scope_follows_the_membership_roles(app, ctx, factories, app_role_engine):
    """Staff at migra, Management at genres: the database shows migra's clients, both partners'
    trainings, and both partners' clients only while a report reads over the aggregate scope."""
    from app.security.scoping import aggregate_scope

    factories.client(partner="migra")
    factories.client(partner="genres")
    factories.training(partner="genres")
    ids = _ids(ctx, "migra", "genres")
    with app.app_context(), partner_scope([ids["migra"]], aggregate_ids=[ids["genres"]]):
        with Session(app_role_engine) as session:
            assert session.execute(text("SELECT partner_id FROM client")).scalars().all() == [ids["migra"]]
            assert session.execute(text("SELECT partner_id FROM training")).scalars().all() == [ids["genres"]]
            # Trainings are read over the aggregate set but written over the personal one only.
            with pytest.raises(DBAPIError, match="row-level security"):
                session.execute(text("UPDATE training SET title = 'x' WHERE partner_id = :p"), {"p": ids["genres"]})
        with aggregate_scope(), Session(app_role_engine) as session:
            partners = session.execute(text("SELECT partner_id FROM client ORDER BY partner_id")).scalars().all()
            assert sorted(partners) == sorted(ids.values())
        with Session(app_role_engine) as session:  # back to the personal scope after the block
            assert session.execute(text("SELECT count(*) FROM client")).scalar() == 1
