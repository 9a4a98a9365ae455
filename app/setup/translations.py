"""Message catalogues: extract, update and compile with Babel's own command-line interface.

``babel.cfg`` at the repository root says which files hold messages; the catalogues live in
``translations/<lang>/LC_MESSAGES/messages.po`` next to the template ``translations/messages.pot``.
"""
import subprocess
import sys
from pathlib import Path

from config import BASE_DIR

LANGUAGES = ("de", "en")
# Our code marks messages with these (lazy_gettext as _l at class level, gettext as _ in functions).
KEYWORDS = ("_", "_l", "gettext", "lazy_gettext", "ngettext:1,2", "lazy_ngettext:1,2")


def _pybabel(*args):
    """Run one pybabel command from the repository root, so that the catalogue's source
    references are relative paths (``app/...``), the same on every machine."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *map(str, args)],
                   cwd=BASE_DIR, check=True)


def extract(directory):
    """Write ``messages.pot`` from the files that babel.cfg lists."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pot = directory / "messages.pot"
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _pybabel("extract", "-F", "babel.cfg", *keywords, "--sort-by-file",
             "--project", "iq-backoffice", "-o", pot, ".")
    return pot


def update(directory):
    """Extract, then merge the new messages into each language's catalogue (creating missing ones)."""
    directory = Path(directory).resolve()
    pot = extract(directory)
    for lang in LANGUAGES:
        if (directory / lang / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("update", "-i", pot, "-d", directory, "-l", lang)
        else:
            _pybabel("init", "-i", pot, "-d", directory, "-l", lang)


def compile_catalogues(directory):
    """Compile every ``messages.po`` under ``directory`` into ``messages.mo``."""
    _pybabel("compile", "-d", Path(directory).resolve())
