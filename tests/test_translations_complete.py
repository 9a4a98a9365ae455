"""Every message of the application is translated to German and English, and the catalogues are current."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("language", ["de", "en"])
def test_catalogue_is_complete(language):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = [m.id for m in catalogue if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))]
    assert missing == []


def test_catalogue_knows_every_message_in_the_code(tmp_path):
    """Extract afresh: no message in app/ or templates/ is missing from the German catalogue."""
    from app.setup.translations import extract

    pot = extract(tmp_path)
    with open(pot, "rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with open(ROOT / "translations" / "de" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        known = {m.id for m in read_po(handle) if m.id}
    assert sorted(str(i) for i in extracted - known) == []
