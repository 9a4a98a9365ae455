"""Countries from Babel's CLDR data (ISO 3166-1 alpha-2), in German and English; EU membership as of 2013."""
from functools import lru_cache

from babel import Locale

# EU member states in the programme window (Croatia joined on 1 July 2013).
EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK GB".split()
)

# CLDR also lists regions and reserved codes that are no ISO 3166-1 countries; XK (Kosovo, a
# user-assigned code used by the EU and German statistics) is kept: many clients come from there.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}


@lru_cache(maxsize=1)
def _territories():
    de = Locale("de").territories
    en = Locale("en").territories
    result = {}
    for code, name_en in en.items():
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
            result[code] = (de.get(code, name_en), name_en)
    return result


def is_country_code(code):
    return code in _territories()


def country_rows():
    """(code, name_de, name_en, is_eu) for every ISO 3166-1 country, sorted by code."""
    return [
        (code, names[0], names[1], code in EU_MEMBERS)
        for code, names in sorted(_territories().items())
    ]


def country_name(code, locale="de"):
    names = _territories().get(code)
    if not names:
        return code or ""
    return names[0] if str(locale).startswith("de") else names[1]
