"""The one password policy of the back office.

``password_problem`` is the policy. It serves

* the CLI (``iq user-add``, demo logins: ``app.security.users``) with the user name given there;
* every password form of the UI and FAB's user API through FAB's hook
  ``FAB_PASSWORD_COMPLEXITY_VALIDATOR`` = ``password_complexity``. FAB 5.3 passes that hook the
  password only, so ``_account_name`` finds whose password it is from the request: the submitted
  ``username`` (new user: ``/partnerusers/add``, ``/users/add``, the user API), the ``pk`` of
  FAB's admin reset (``/resetpassword/form?pk=<id>``), else the logged-in user (own change,
  ``/resetmypassword/form``).

Rules: at least ``MIN_PASSWORD_LENGTH`` characters, letters and digits, at least 5 different
characters, not containing the user name, and not one of the common passwords shipped in
``common_passwords.txt`` (compared in lower case; source in ``common_passwords.NOTICE.txt``).
"""
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords():
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def password_problem(password, username=None):
    """The first rule the password breaks (a translated message), or None if it is acceptable."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password needs at least %(min)s characters.", min=MIN_PASSWORD_LENGTH)
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return _("The password needs both letters and digits.")
    if username and username.strip().lower() in password.lower():
        return _("The password must not contain the user name.")
    if len(set(password)) < 5:
        return _("The password contains too few different characters.")
    if password.lower() in common_passwords():
        return _("This password is one of the most commonly used passwords; please choose another.")
    return None


def hash_password(password):
    """The stored hash, with FAB's settings (``FAB_PASSWORD_HASH_METHOD``/``_SALT_LENGTH``) as FAB's
    own ``add_user``/``reset_password`` use them."""
    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def _account_name():
    """Whose password a UI form or the API is validating (see the module docstring)."""
    if not has_request_context():
        return None
    name = request.form.get("username")
    if not name and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    if name:
        return str(name)
    sm = current_app.appbuilder.sm
    if request.blueprint == sm.resetpasswordview.__name__:
        pk = request.args.get("pk", "")
        user = sm.get_user_by_id(int(pk)) if pk.isdigit() and len(pk) < 19 else None
        return user.username if user is not None else None
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username
    return None


def password_complexity(password):
    """FAB's hook (``FAB_PASSWORD_COMPLEXITY_VALIDATOR``) for the UI forms and the user API."""
    problem = password_problem(password, _account_name())
    if problem:
        raise PasswordComplexityValidationError(problem)
