"""Languages (ISO 639-1 codes): the letters' languages first, then other languages clients speak.

A client's counselling language is stored as a code. Names typed into the API, the import or the
CLI ("Arabisch", "arabic", "العربية") are read as their code; values stored before the language
became a select (free text, migration a9b0c1d2e3f4) that no code matches stay as they are and are
shown as stored, until someone chooses a language. Names on screen come from the CLDR data Babel
ships (the UI language's name, and the language's own name beside it), so no catalogue drifts.
"""
from functools import cache

from babel import Locale
from flask_babel import get_locale, lazy_gettext as _l

#: The languages the counselling confirmation (app/reports/confirmation.py), the consent texts and
#: the Art. 15 cover letter are written in; German is the binding text.
LETTER_LANGUAGES = ("de", "en", "ru", "ar")
#: Other languages offered first in the select (counselling in the IQ network, 2011–2014).
COMMON_LANGUAGES = ("am", "bg", "bs", "cs", "el", "es", "fa", "fr", "hr", "hu", "hy", "it", "ka", "ku",
                    "lt", "lv", "pl", "ps", "pt", "ro", "sk", "so", "sq", "sr", "ta", "ti", "tr", "uk",
                    "ur", "vi", "zh")
RTL_LANGUAGES = {"ar", "fa", "ps", "ur"}

_ENGLISH = Locale("en")
#: Every ISO 639-1 code Babel knows a name for (about 180): accepted, though not all are offered first.
ISO_639_1 = frozenset(code for code in _ENGLISH.languages if len(code) == 2 and code.isalpha())


def _ui_locale():
    return Locale.parse(str(get_locale() or "de"))


def _own_name(code):
    return _own_names().get(code)


@cache
def _own_names():
    """Each language's name in itself (``{"ar": "العربية", ...}``), read once per process.

    Read from each language's own CLDR file as Babel ships it (its own name is defined there, not
    inherited), without ``Locale(code)``: that loads and keeps the full, merged locale data of some
    180 languages in Babel's cache, about 100 MB per worker process for these few strings (a worker's
    RSS went from 150 to 250 MB with its first case page); only the few whose name is inherited from a
    parent locale are read that way."""
    import pickle

    from babel import localedata

    names = {}
    for code in sorted(ISO_639_1):
        try:
            with open(localedata.resolve_locale_filename(code), "rb") as handle:
                own = pickle.load(handle).get("languages", {}).get(code)
        except (OSError, ValueError):  # a code without locale data of its own
            own = None
        if not own:  # inherited from a parent locale (nb, nn: "no"; tl: "fil"): the few full loads
            try:
                own = Locale.parse(code).languages.get(code)
            except Exception:
                own = None
        if own:
            names[code] = own
    return names


def language_name(code, locale=None):
    """``Arabisch (العربية)`` in a German UI; a stored value that is no code is returned as is."""
    if not code:
        return ""
    if code not in ISO_639_1:
        return code
    locale = Locale.parse(str(locale)) if locale else _ui_locale()
    name = locale.languages.get(code) or code
    name = name[:1].upper() + name[1:]
    own = _own_name(code)
    if own and own.casefold() != name.casefold() and code != locale.language:
        return f"{name} ({own})"
    return name


@cache
def _names_to_codes():
    names = {}
    for code in sorted(ISO_639_1):
        names[code] = code
        for locale in ("de", "en"):
            name = Locale(locale).languages.get(code)
            if name:
                names.setdefault(name.casefold(), code)
        own = _own_name(code)
        if own:
            names.setdefault(own.casefold(), code)
    names.update({"farsi": "fa", "persisch (farsi)": "fa", "kurmandschi": "ku", "kurmanji": "ku",
                  "serbokroatisch": "sr", "serbo-croatian": "sr"})
    return names



def language_code(value):
    """The ISO 639-1 code of ``value`` (a code in any case, or a German, English or own name), else None."""
    if value is None:
        return None
    text = " ".join(str(value).split()).casefold()
    return _names_to_codes().get(text)


def language_choices(current=None):
    """Choices of a language select, grouped: the letters' languages, then other languages (by name),
    then a stored value that is not on the list (so that saving never changes it unasked)."""
    locale = _ui_locale()
    letters = [(code, language_name(code, locale)) for code in LETTER_LANGUAGES]
    others = sorted(((code, language_name(code, locale)) for code in COMMON_LANGUAGES),
                    key=lambda item: item[1].casefold())
    groups = {str(_l("Letters exist in")): letters, str(_l("Other languages")): others}
    offered = set(LETTER_LANGUAGES) | set(COMMON_LANGUAGES)
    if current and current not in offered:
        groups[str(_l("Stored value"))] = [(current, language_name(current, locale))]
    return groups


def letter_language_choices():
    """The languages a letter can be produced in, named in the UI language and in their own."""
    locale = _ui_locale()
    return [(code, language_name(code, locale)) for code in LETTER_LANGUAGES]


def letter_language(counselling_language):
    """The default letter language for a client: its counselling language where a letter exists."""
    code = language_code(counselling_language) or "de"
    return code if code in LETTER_LANGUAGES else "de"
