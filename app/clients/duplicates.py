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

Across partners (issue 12) the same service answers with *hints* only: a client of ANOTHER partner
born on that day whose stored match key equals the new one's yields "possibly already counselled at
partner X — ask for a referral", never a name, date, number or id of that record, and it never blocks
the save. The keys (``match_keys``: ``Client.name_key`` and ``Client.name_skeleton``) are stored with
the client and indexed with the birth date, so the lookup reads one indexed query and no client
objects; on PostgreSQL it runs inside ``iq_duplicate_partners`` (a SECURITY DEFINER function,
migration b2c3d4e5f6a7) and only partner ids leave the database. ``cross_partner_hints`` always
runs exactly one statement of the same shape — also for an anonymous client or a missing birth
date, with parameters that match nothing — so that the answer time does not tell whether a match
exists.
"""
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, bindparam, select, text

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
# Arabic script (and the Persian letters) to Latin as names are commonly spelled in passports and
# German files: long vowels (alif, waw, yeh) become vowels, short vowels are not written (the harakat
# are combining marks and fall away with the diacritics), ain and hamza carry no consonant.
_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "u", "ئ": "i", "ب": "b", "ت": "t",
    "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh",
    "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "a", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l",
    "م": "m", "ن": "n", "ه": "h", "و": "u", "ى": "a", "ي": "i", "ة": "a", "پ": "p", "چ": "ch", "ژ": "zh",
    "گ": "g", "ک": "k", "ی": "i", "ـ": "",
}
# At the start of a word waw and yeh are consonants (Walid, Yusuf).
_ARABIC_INITIAL = {"و": "w", "ي": "y", "ی": "y"}
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff]+")
# Spelling variants of the same sound in German and English transliteration, longest first.
_VARIANTS = [("tsch", "ch"), ("sch", "sh"), ("zh", "sh"), ("kh", "h"), ("ck", "k"), ("ph", "f"),
             ("ae", "a"), ("oe", "o"), ("ue", "u"), ("w", "v"), ("j", "i"), ("y", "i"), ("q", "k")]


def _arabic_word(match):
    """One word in Arabic script in Latin letters; the article "al-" becomes a word of its own, as
    in "Al Haddad" / "Al-Haddad"."""
    word = match.group(0)
    prefix = ""
    if word.startswith("ال") and len(word) > 3:
        prefix, word = "al ", word[2:]
    letters = [_ARABIC_INITIAL.get(word[0]) or _ARABIC.get(word[0], word[0])] if word else []
    letters += [_ARABIC.get(ch, ch) for ch in word[1:]]
    return f" {prefix}{''.join(letters)} "


def has_arabic(text):
    return bool(_ARABIC_WORD.search(text or ""))


def normalise(name):
    """A comparison key: lower-case Latin letters and single spaces, spelling variants folded."""
    text = _ARABIC_WORD.sub(_arabic_word, (name or "").lower())
    text = "".join(_UMLAUTS.get(ch) or _LETTERS.get(ch) or _CYRILLIC.get(ch) or ch for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if "a" <= ch <= "z" else " " for ch in text)
    for variant, canonical in _VARIANTS:
        text = text.replace(variant, canonical)
    words = ["".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1]) for word in text.split()]
    return " ".join(words)


#: Marks a skeleton of a name written in Arabic script (see ``match_keys``).
ARABIC_MARK = "#"
_VOWEL_CLASSES = str.maketrans({"e": "a", "o": "u"})


def _collapse(word):
    return "".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1])


def _skeleton(word):
    """The consonants of a word; a leading vowel counts as one ("Omar", "عمر": "amr")."""
    head = "a" if word[0] in "aeiou" else word[0]
    return _collapse(head + "".join(ch for ch in word[1:] if ch not in "aeiou"))


@dataclass(frozen=True)
class MatchKeys:
    """The stored match keys of a name (``Client.name_key``, ``Client.name_skeleton``).

    ``key``: the normalised words with the vowels folded to three classes (e/a, o/u, i), sorted, so
    that swapped first and last names, "Mohammed"/"Muhammad"/"Mohamed" and "Meier"/"Mayer" meet.
    ``skeleton``: the consonants of the sorted words. Arabic script writes no short vowels ("محمد" is
    m-h-m-d), so it can only meet a Latin spelling there; Latin spellings are not compared by their
    skeletons (Mohammed and Mahmoud share one). The skeleton of a name in Arabic script is stored with
    ``ARABIC_MARK`` in front, so that one equality in SQL states "same skeleton and one of the two in
    Arabic script".
    """

    key: str | None
    skeleton: str | None

    @property
    def arabic(self):
        return bool(self.skeleton) and self.skeleton.startswith(ARABIC_MARK)

    def skeletons_to_find(self):
        """The two stored skeletons that match this name (the same for a Latin name: only Arabic ones)."""
        if not self.skeleton:
            return None, None
        bare = self.skeleton.removeprefix(ARABIC_MARK)
        return ARABIC_MARK + bare, (bare if self.arabic else ARABIC_MARK + bare)

    def matches(self, other):
        if not (self.key and other.key):
            return False
        return self.key == other.key or (other.skeleton in self.skeletons_to_find())


NO_KEYS = MatchKeys(None, None)
_ARTICLES = {"al", "el"}


def match_keys(first_name, last_name):
    """The keys of a full name; ``NO_KEYS`` for an anonymous (or erased) client."""
    if not (first_name or last_name):
        return NO_KEYS
    full = f"{first_name or ''} {last_name or ''}"
    words = normalise(full).split()
    # The Arabic article is written joined, hyphenated, apart or not at all ("Al-Haddad", "Haddad").
    words = [word for word in words if word not in _ARTICLES] or words
    if not words:
        return NO_KEYS
    key = " ".join(sorted(_collapse(word.translate(_VOWEL_CLASSES)) for word in words))
    skeleton = " ".join(sorted(_skeleton(word) for word in words))
    return MatchKeys(key[:200], ((ARABIC_MARK if has_arabic(full) else "") + skeleton)[:200])


def similarity(first_a, last_a, first_b, last_b):
    """0..1: how alike two full names are; first and last name may have been swapped. Names whose
    match keys agree (``match_keys``: vowel variants, Arabic script) count as equal."""
    if match_keys(first_a, last_a).matches(match_keys(first_b, last_b)):
        return 1.0
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
    """Refuse (``DuplicateClient``) a new named client that is a likely duplicate, unless ``confirmed``;
    otherwise answer the hints about other partners (``cross_partner_hints``) to show once it is saved.

    ``candidates`` (a ``Candidates``) replaces the per-client query when many clients are checked
    at once (the import). Anonymous clients have no name to compare and are never refused.
    """
    partner_id = client.partner.id if client.partner is not None else client.partner_id
    return check_person(session, partner_id, client.birth_date, client.first_name, client.last_name, confirmed,
                        candidates)


def check_person(session, partner_id, birth_date, first_name, last_name, confirmed=False, candidates=None):
    """``check_new_client`` for a client not built yet (the quick entry checks before it saves)."""
    if not confirmed and (first_name or last_name):
        if candidates is not None:
            found = candidates.find(birth_date, first_name, last_name)
        else:
            with session.no_autoflush:
                found = find_duplicates(session, partner_id, birth_date, first_name, last_name)
        if found:
            raise DuplicateClient(found)
    with session.no_autoflush:
        return cross_partner_hints(session, partner_id, birth_date, first_name, last_name)


@dataclass(frozen=True)
class Hint:
    """"Possibly already counselled at partner X": the partner's code and name, nothing of the record."""

    partner: str
    partner_name: str

    @property
    def message(self):
        return _("Possibly already counselled at partner %(partner)s — ask for a referral.",
                 partner=self.partner_name)

    def as_json(self):
        return {"partner": self.partner, "message": self.message}


def flash_hints(hints):
    """The UI paths show the hints after saving, one warning each (no link, nothing of the record)."""
    from flask import flash

    for hint in hints:
        flash(hint.message, "warning")


_FUNCTION = "public.iq_duplicate_partners(date, text, text, text, integer)"
_installed = {}  # database URL -> the function exists


def _function_installed(session):
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    url = str(bind.url)
    if url not in _installed:
        _installed[url] = bool(session.execute(text(f"SELECT to_regprocedure('{_FUNCTION}') IS NOT NULL")).scalar())
    return _installed[url]


def cross_partner_hints(session, partner_id, birth_date, first_name, last_name):
    """The other partners with a client born on ``birth_date`` whose stored match keys meet the name's.

    Exactly one statement of one shape runs every time (an anonymous name or a missing date only
    make its parameters match nothing): no early return, so the time does not tell a match. On
    PostgreSQL the client rows are read by ``iq_duplicate_partners`` (row-level security hides them
    from the caller) and only partner ids come back; elsewhere the same condition is one query that
    bypasses the ORM scope and selects only the partners' codes and names.
    """
    from app.clients.models import Client
    from app.partners.models import Partner
    from app.security.scoping import UNSCOPED

    keys = match_keys(first_name, last_name)
    arabic, other = keys.skeletons_to_find()
    params = {"born": birth_date, "key": keys.key, "arabic": arabic, "other": other, "partner": partner_id}
    if _function_installed(session):
        rows = session.execute(text(
            "SELECT p.code, p.name FROM partner p WHERE p.id IN "
            "(SELECT found.partner_id FROM iq_duplicate_partners(:born, :key, :arabic, :other, :partner) "
            "AS found(partner_id)) ORDER BY p.name"), params).all()
    else:
        # Bound parameters throughout: a None must stay "= NULL" (matches nothing), never "IS NULL".
        clients, bound = Client.__table__, {name: bindparam(name, value, type_=Client.__table__.c.name_key.type)
                                            for name, value in params.items() if name not in ("born", "partner")}
        partners = (select(clients.c.partner_id)
                    .where(clients.c.birth_date == bindparam("born", birth_date, type_=Date),
                           clients.c.partner_id != bindparam("partner", partner_id, type_=Integer),
                           (clients.c.name_key == bound["key"])
                           | (clients.c.name_skeleton == bound["arabic"]) | (clients.c.name_skeleton == bound["other"])))
        rows = session.execute(select(Partner.code, Partner.name).where(Partner.id.in_(partners))
                               .order_by(Partner.name), execution_options={UNSCOPED: True}).all()
    return [Hint(code, name) for code, name in rows]


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
