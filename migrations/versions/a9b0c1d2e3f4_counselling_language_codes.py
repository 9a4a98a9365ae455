"""The counselling language becomes a select of ISO 639-1 codes (app/core/languages.py): stored free
text that names a language (``Arabisch``, ``arabic``, ``AR``, ``العربية``) becomes its code; values
no code matches stay as they are (shown as stored until someone chooses a language).

The names are read from Babel's CLDR data (German, English and the language's own name), frozen
here to the codes of 2026-12 so that the migration does not follow later changes of the app.

Revision ID: a9b0c1d2e3f4
Revises: f7a8b9c0d1e2
"""
import sqlalchemy as sa
from alembic import op
from babel import Locale

revision = "a9b0c1d2e3f4"
down_revision = "f7a8b9c0d1e2"
branch_labels = None
depends_on = None

EXTRA = {"farsi": "fa", "kurmandschi": "ku", "kurmanji": "ku", "serbokroatisch": "sr", "serbo-croatian": "sr"}


def _names():
    codes = sorted(code for code in Locale("en").languages if len(code) == 2 and code.isalpha())
    names = {}
    for code in codes:
        names[code] = code
        for locale in ("de", "en"):
            name = Locale(locale).languages.get(code)
            if name:
                names.setdefault(name.casefold(), code)
        try:
            own = Locale.parse(code).languages.get(code)
        except Exception:
            own = None
        if own:
            names.setdefault(own.casefold(), code)
    names.update(EXTRA)
    return names


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # FORCE'd row-level security: the owner names the whole network
        op.execute("SELECT set_config('iq.partner_ids', 'all', true)")
    client = sa.table("client", sa.column("counselling_language", sa.String))
    stored = bind.execute(sa.select(client.c.counselling_language).distinct()).scalars().all()
    names = _names()
    for value in stored:
        code = names.get(" ".join(str(value or "").split()).casefold())
        if code is not None and code != value:
            bind.execute(client.update().where(client.c.counselling_language == value)
                         .values(counselling_language=code))


def downgrade():
    pass  # the codes are valid values of the former free-text field
