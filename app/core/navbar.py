"""The navigation menu rendered once per role set and language instead of on every page (issue 10).

FAB 5.3.0's navbar (``appbuilder/navbar_menu.html``) asks ``has_access("menu_access", item)`` for each
of its ~50 items and builds each item's URL on every page: about a sixth of a list page's time. Its
output depends only on the menu (fixed at start-up), the UI language, the script root and the user's
role names, as long as every role is one of the roles declared in code (``FAB_ROLES``, answered from
that table, app.security.roles): then it is rendered once per process and such key. A user holding a
role that lives only in the database gets the menu rendered per page, as FAB does.

The one part that changes per request, the number of open referrals on the "Weiterleitungen" item
(``app.referrals.views.BadgeLabel``), is rendered as a marker into the kept menu and put in per
request. The stock template is ``appbuilder/navbar_menu_stock.html``; tests compare both renderings.
"""
from flask import current_app, g, has_request_context, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

#: Written into the kept menu where a per-request badge goes (``BadgeLabel.__html__``).
BADGE_MARKER = "<!--iq-menu-badge-->"
_MAX_ENTRIES = 256
_cache = {}


def rendering_for_cache():
    """True while the menu is rendered to be kept: badges leave their marker instead of a count."""
    return has_request_context() and g.get("_iq_menu_for_cache", False)


def _stock_menu():
    return render_template("appbuilder/navbar_menu_stock.html", menu=current_app.appbuilder.menu)


def _key():
    sm = current_app.appbuilder.sm
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        names = [role.name for role in sm.get_user_roles(user)]
        active = bool(user.is_active)
    else:  # anonymous: FAB answers from the public role
        names, active = [sm.auth_role_public], True
    if not all(name in sm.builtin_roles for name in names):
        return None  # a role kept in the database: its permissions may change at any time
    return (id(current_app._get_current_object()), str(get_locale() or ""), request.script_root,
            tuple(sorted(set(names))), active)


def navbar_menu():
    """The menu's HTML for this request (Jinja global ``iq_navbar_menu``)."""
    from app.referrals.views import badge_suffix

    key = _key()
    if key is None:
        return Markup(_stock_menu())
    html = _cache.get(key)
    if html is None:
        g._iq_menu_for_cache = True
        try:
            html = _stock_menu()
        finally:
            g._iq_menu_for_cache = False
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[key] = html
    if BADGE_MARKER in html:
        html = html.replace(BADGE_MARKER, str(badge_suffix()))
    return Markup(html)


def forget():
    _cache.clear()


def install(app):
    app.jinja_env.globals["iq_navbar_menu"] = navbar_menu
