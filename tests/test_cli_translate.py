"""`flask translate extract|update|compile`, run on a temporary copy (the repository stays clean)."""
import shutil

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import BASE_DIR


def _translate(app, *args):
    return app.test_cli_runner().invoke(args=["translate", *args])


def test_compile_builds_mo_files_for_de_and_en(app, tmp_path):
    target = tmp_path / "translations"
    shutil.copytree(BASE_DIR / "translations", target, ignore=shutil.ignore_patterns("*.mo"))
    result = _translate(app, "compile", "--directory", str(target))
    assert result.exit_code == 0, result.output
    for lang in ("de", "en"):
        mo = target / lang / "LC_MESSAGES" / "messages.mo"
        with open(mo, "rb") as handle:
            assert read_mo(handle).locale.language == lang


def test_update_extracts_our_messages_into_both_catalogues(app, tmp_path):
    target = tmp_path / "translations"
    result = _translate(app, "update", "--directory", str(target))
    assert result.exit_code == 0, result.output
    with open(target / "messages.pot", "rb") as handle:
        pot = read_po(handle)
    # From Python (gettext in a function, lazy_gettext at module level) and from a template.
    assert "The password needs both letters and digits." in pot
    assert "Mecklenburg-Vorpommern" in pot
    assert any(loc[0].startswith("templates/") for msg in pot for loc in msg.locations)
    for lang in ("de", "en"):
        with open(target / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
            assert "The password needs both letters and digits." in read_po(handle)
