"""`flask iq user-add`: a user, its role and memberships, or a clear refusal that writes nothing."""
import pytest
from sqlalchemy import func, select

from app.security.models import Membership
from app.security.users import password_complexity, password_problem
from flask_appbuilder.exceptions import PasswordComplexityValidationError

GOOD = "Beratung2013x"


def _user_add(app, *args):
    return app.test_cli_runner().invoke(args=["iq", "user-add", *args])


def _state(ctx):
    """(users, memberships): a refused command must change neither."""
    from app.extensions import appbuilder

    model = appbuilder.sm.user_model
    ctx.expire_all()
    return (ctx.scalar(select(func.count()).select_from(model)),
            ctx.scalar(select(func.count()).select_from(Membership)))


def test_user_add_creates_user_role_and_memberships(app, ctx):
    result = _user_add(app, "t_anna", "--password", GOOD, "--role", "Staff",
                       "--partner", "migra", "--partner", "genres", "--email", "anna@example.org")
    assert result.exit_code == 0, result.output
    sm = app.appbuilder.sm
    user = sm.find_user(username="t_anna")
    assert user is not None and user.email == "anna@example.org" and user.active
    assert [role.name for role in user.roles] == ["Staff"]
    memberships = ctx.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    assert {m.partner.code for m in memberships} == {"migra", "genres"}
    assert {m.role for m in memberships} == {"Staff"}
    assert sm.auth_user_db("t_anna", GOOD) is not None
    assert sm.auth_user_db("t_anna", GOOD + "x") is None


def test_admin_needs_no_partner(app, ctx):
    result = _user_add(app, "t_root", "--password", GOOD, "--role", "Admin")
    assert result.exit_code == 0, result.output
    user = app.appbuilder.sm.find_user(username="t_root")
    assert [role.name for role in user.roles] == ["Admin"]
    assert ctx.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == user.id)) == 0


@pytest.mark.parametrize("args, fragment", [
    (["t_bob", "--password", GOOD, "--role", "Boss", "--partner", "migra"], "Boss"),
    (["t_bob", "--password", GOOD, "--role", "Staff", "--partner", "nowhere"], "nowhere"),
    (["t_bob", "--password", GOOD, "--role", "Staff"], "--partner"),
    (["t_bob", "--password", GOOD, "--role", "Admin", "--partner", "migra"], None),
    (["t_bob", "--password", "short1", "--role", "Staff", "--partner", "migra"], None),
    (["t_bob", "--password", "onlylettersherE", "--role", "Staff", "--partner", "migra"], None),
    (["t_bob", "--password", "x1t_bob2023y", "--role", "Staff", "--partner", "migra"], None),
    (["t bob!", "--password", GOOD, "--role", "Staff", "--partner", "migra"], "t bob!"),
])
def test_user_add_refusals_write_nothing(app, ctx, args, fragment):
    before = _state(ctx)
    result = _user_add(app, *args)
    assert result.exit_code != 0
    assert "Error:" in result.output
    if fragment is None:  # the policy's own message, in the same language as the command's
        with app.app_context():
            password = args[args.index("--password") + 1]
            fragment = password_problem(password, args[0]) or ""
    assert fragment in result.output
    assert _state(ctx) == before
    assert app.appbuilder.sm.find_user(username=args[0]) is None


def test_taken_username_is_refused(app, ctx, make_user):
    make_user("t_carla", "Staff", ["migra"])
    before = _state(ctx)
    result = _user_add(app, "t_carla", "--password", GOOD, "--role", "Staff", "--partner", "vsp")
    assert result.exit_code != 0
    assert "t_carla" in result.output
    assert _state(ctx) == before


def test_password_policy_is_also_fabs_validator(app):
    assert app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] is password_complexity
    with app.app_context():
        password_complexity(GOOD)
        for weak in ("short1", "abcdefghijk", "12345678901", "aaaa1111aaaa"):
            with pytest.raises(PasswordComplexityValidationError):
                password_complexity(weak)


def test_user_add_by_a_partner_admin_follows_the_ui_rules(app, ctx, make_user):
    make_user("t_padmin", "PartnerAdmin", ("migra",))
    ok = _user_add(app, "t_by_ok", "--password", GOOD, "--role", "Staff", "--partner", "migra", "--by", "t_padmin")
    assert ok.exit_code == 0, ok.output
    before = _state(ctx)
    for args in (("--role", "Staff", "--partner", "genres"), ("--role", "Admin"),
                 ("--role", "PartnerAdmin", "--partner", "migra")):
        refused = _user_add(app, "t_by_no", "--password", GOOD, *args, "--by", "t_padmin")
        assert refused.exit_code != 0 and "Error" in refused.output
    assert _state(ctx) == before
    unknown = _user_add(app, "t_by_no", "--password", GOOD, "--role", "Staff", "--partner", "migra", "--by", "nobody")
    assert unknown.exit_code != 0 and "nobody" in unknown.output
