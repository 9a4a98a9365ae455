"""What a save or delete says: the record by kind and name, translated („Beratungsfall #12 MIGR-AB12CD3
gespeichert.“), instead of FAB's stock messages.

FAB override (checked against Flask-AppBuilder 5.3.0, ``flask_appbuilder/baseviews.py``):
``BaseCRUDView`` flashes the class attributes ``add_row_message`` / ``edit_row_message`` /
``delete_row_message`` ("Added Row", "Changed Row", "Deleted Row"; FAB's German catalogue says
"Zeile hinzugefügt" …), which name neither the kind nor the record. ``IqModelView._save``/``_delete``
(app/core/views.py) flash ``saved_message(...)`` instead; ``tests/test_save_messages.py`` pins the
attributes this replaces.

The name is ``str(record)`` (the models' human label: a client's pseudonymous number, never its name,
a case's number and client number); a view may give a better one with ``record_label(item)``.
"""
from flask_babel import gettext as _

ADDED, CHANGED, DELETED = "added", "changed", "deleted"


def record_label(view, item):
    own = getattr(view, "record_label", None)
    label = own(item) if callable(own) else str(item or "")
    return (label or "").strip()


def record_kind(view):
    return str(getattr(view, "singular", None) or getattr(view, "show_title", None) or "")


def saved_message(view, item, action, label=None):
    """The flash message after ``action`` (added, changed, deleted) of ``item``; ``label`` for a
    record that is gone (deleted: read it before the delete)."""
    kind = record_kind(view)
    name = record_label(view, item) if label is None else label
    if action == ADDED:
        return _("%(kind)s %(name)s created.", kind=kind, name=name) if name else _("%(kind)s created.", kind=kind)
    if action == DELETED:
        return _("%(kind)s %(name)s deleted.", kind=kind, name=name) if name else _("%(kind)s deleted.", kind=kind)
    return _("%(kind)s %(name)s saved.", kind=kind, name=name) if name else _("%(kind)s saved.", kind=kind)
