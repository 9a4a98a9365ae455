"""Likely duplicate clients: same partner, same birth date, a similar name.

Names arrive spelled in many ways: "Müller", "Mueller" and "MULLER"; "Şahin" and "Sahin"; "Шевченко",
"Shevchenko" and "Schewtschenko". The key below folds case, diacritics, German umlaut spellings and
Cyrillic letters to plain Latin, then a few spelling variants of transliteration (w/v, j/y/i,
sch/sh), so that the comparison can be a plain string similarity. Candidates are found by an indexed
query (partner, birth date), so only a handful of names are ever compared.

The rule "a new client that is a likely duplicate of one of the partner's clients is refused unless the
user confirms it is another person" is ``check_new_client()``, the one place the UI's client form, the
quick entry ("Neue Beratung"), the REST API (``create_anyway: true``) and the import (column "Trotzdem
anlegen", also ``iq import``) ask; each answers with the same message (``DuplicateClient``).
"""
import unicodedata
from difflib import SequenceMatcher

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import DomainError

SIMILARITY = 0.85

# Letters that Unicode decomposition does not reduce to a base letter plus a mark.
_LETTERS = {"ß": "ss", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue"}
# Basic Cyrillic (Russian, Ukrainian, Bulgarian) to Latin, close to ISO 9 / passport spelling.
_CYRILLIC = dict(zip(
    "абвгдезийклмнопрстуфыэґіїєё",
    ["a", "b", "v", "g", "d", "e", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "y", "e", "g", "i", "i", "ie", "e"],
))
_CYRILLIC.update({"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "iu",
                  "я": "ia", "ъ": "", "ь": ""})
# Spelling variants of the same sound in German and English transliteration, longest first.
_VARIANTS = [("tsch", "ch"), ("sch", "sh"), ("zh", "sh"), ("kh", "h"), ("ck", "k"), ("ph", "f"),
             ("ae", "a"), ("oe", "o"), ("ue", "u"), ("w", "v"), ("j", "i"), ("y", "i")]


def normalise(name):
    """A comparison key: lower-case Latin letters and single spaces, spelling variants folded."""
    text = (name or "").lower()
    text = "".join(_UMLAUTS.get(ch) or _LETTERS.get(ch) or _CYRILLIC.get(ch) or ch for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if "a" <= ch <= "z" else " " for ch in text)
    for variant, canonical in _VARIANTS:
        text = text.replace(variant, canonical)
    words = ["".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1]) for word in text.split()]
    return " ".join(words)


def similarity(first_a, last_a, first_b, last_b):
    """0..1: how alike two full names are; first and last name may have been swapped."""
    a = normalise(f"{first_a} {last_a}")
    straight = normalise(f"{first_b} {last_b}")
    swapped = normalise(f"{last_b} {first_b}")
    return max(SequenceMatcher(None, a, straight).ratio(), SequenceMatcher(None, a, swapped).ratio())


def is_similar(first_a, last_a, first_b, last_b):
    return similarity(first_a, last_a, first_b, last_b) >= SIMILARITY


def find_duplicates(session, partner_id, birth_date, first_name, last_name, exclude_id=None):
    """Clients of the partner born on that day whose name is similar, most similar first."""
    from app.clients.models import Client

    if not (partner_id and birth_date and (first_name or last_name)):
        return []
    query = select(Client).where(Client.partner_id == partner_id, Client.birth_date == birth_date,
                                 Client.last_name.is_not(None))  # anonymous clients have no name to match
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    scored = [(similarity(first_name, last_name, c.first_name, c.last_name), c)
              for c in session.execute(query.limit(200)).scalars()]
    return [client for score, client in sorted(scored, key=lambda pair: -pair[0]) if score >= SIMILARITY]


class DuplicateClient(DomainError):
    """A new client looks like an existing one; ``clients`` are the likely originals, most similar first."""

    def __init__(self, clients):
        super().__init__(duplicate_message(clients), field="create_anyway")
        self.clients = clients


def duplicate_message(clients):
    from app.core.models import format_date

    listed = "; ".join(f"{c.client_number} ({c.last_name}, {c.first_name}, {format_date(c.birth_date)})"
                       for c in clients)
    return _("Possible duplicate of an existing client: %(clients)s. Use the existing client, or tick "
             "“Create anyway” if this is another person.", clients=listed)


def check_new_client(session, client, confirmed=False, candidates=None):
    """Refuse (``DuplicateClient``) a new named client that is a likely duplicate, unless ``confirmed``.

    ``candidates`` (a ``Candidates``) replaces the per-client query when many clients are checked
    at once (the import). Anonymous clients have no name to compare and are never refused.
    """
    partner_id = client.partner.id if client.partner is not None else client.partner_id
    check_person(session, partner_id, client.birth_date, client.first_name, client.last_name, confirmed, candidates)


def check_person(session, partner_id, birth_date, first_name, last_name, confirmed=False, candidates=None):
    """``check_new_client`` for a client not built yet (the quick entry checks before it saves)."""
    if confirmed or not (first_name or last_name):
        return
    if candidates is not None:
        found = candidates.find(birth_date, first_name, last_name)
    else:
        with session.no_autoflush:
            found = find_duplicates(session, partner_id, birth_date, first_name, last_name)
    if found:
        raise DuplicateClient(found)


class Candidates:
    """The partner's named clients born on the given days, read in a few queries before anything is
    written (so the clients an import creates are never compared with each other by the database)."""

    def __init__(self, session, partner_id, birth_dates):
        from app.clients.models import Client

        self.by_day = {}
        days = sorted({day for day in birth_dates if day is not None})
        for start in range(0, len(days), 500):
            query = select(Client).where(Client.partner_id == partner_id, Client.birth_date.in_(days[start:start + 500]),
                                         Client.last_name.is_not(None))
            for client in session.execute(query).scalars():
                self.by_day.setdefault(client.birth_date, []).append(client)

    def find(self, birth_date, first_name, last_name):
        scored = [(similarity(first_name, last_name, c.first_name, c.last_name), c)
                  for c in self.by_day.get(birth_date, ())]
        return [client for score, client in sorted(scored, key=lambda pair: -pair[0]) if score >= SIMILARITY]
