"""Message catalogues: extract, update and compile with Babel's own command-line interface.

``babel.cfg`` at the repository root says which files hold messages; the catalogues live in
``translations/<lang>/LC_MESSAGES/messages.po`` next to the template ``translations/messages.pot``.
"""
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from config import BASE_DIR

LANGUAGES = ("de", "en")
# Our code marks messages with these (lazy_gettext as _l at class level, gettext as _ in functions).
KEYWORDS = ("_", "_l", "gettext", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2")


def _pybabel(*args):
    """Run one pybabel command in-process; raises SystemExit with a non-zero code on failure."""
    CommandLineInterface().run(["pybabel", "-q", *map(str, args)])


def extract(directory):
    """Write ``messages.pot`` from the files that babel.cfg lists."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pot = directory / "messages.pot"
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _pybabel("extract", "-F", BASE_DIR / "babel.cfg", *keywords, "--sort-by-file",
             "--project", "iq-backoffice", "-o", pot, BASE_DIR)
    return pot


def update(directory):
    """Extract, then merge the new messages into each language's catalogue (creating missing ones)."""
    directory = Path(directory)
    pot = extract(directory)
    for lang in LANGUAGES:
        if (directory / lang / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("update", "-i", pot, "-d", directory, "-l", lang)
        else:
            _pybabel("init", "-i", pot, "-d", directory, "-l", lang)


def compile_catalogues(directory):
    """Compile every ``messages.po`` under ``directory`` into ``messages.mo``."""
    _pybabel("compile", "-d", directory)
