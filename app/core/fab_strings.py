"""Flask-AppBuilder 5.3 strings that its own German catalogue leaves untranslated.

FAB's templates and filters ask for these messages; the app's catalogue (searched after FAB's, so
it wins) translates them, or words them better ("Relation" is "ist" in a filter). Listed here only so that ``pybabel extract`` puts them into messages.pot.
``tests/test_display.py`` checks that every one of them is translated in German.
"""
from flask_babel import lazy_gettext as _l

FAB_STRINGS = (
    _l("Add"),
    _l("Edit"),
    _l("Are you sure you want to delete this item?"),
    _l("In"),
    _l("Not In"),
    _l("Database Error"),
    _l("Cancel"),
    _l("OK"),
    # relation filters: "Beziehung"/"Keine Beziehung" in FAB's catalogue
    _l("Relation"),
    _l("No Relation"),
)
