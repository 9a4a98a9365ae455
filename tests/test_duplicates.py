"""Duplicate matching: spelling variants of one name match, different people do not."""
from datetime import date

import pytest

from app.clients.duplicates import find_duplicates, is_similar, normalise


@pytest.mark.parametrize("a, b", [
    ("Müller", "Mueller"), ("Müller", "MULLER"), ("Şahin", "Sahin"), ("Straße", "Strasse"),
    ("Wałęsa", "Walesa"), ("Dvořák", "Dvorak"), ("Шевченко", "Shevchenko"), ("Шевченко", "Schewtschenko"),
    ("Иванов", "Iwanow"), ("Yılmaz", "Yilmaz"), ("Jürgen", "JUERGEN"), ("Øberg", "Oberg"),
])
def test_spelling_variants_have_the_same_key(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize("first_a, last_a, first_b, last_b", [
    ("Ali", "Yılmaz", "ALI", "Yilmaz"),
    ("Ahmed", "Hassan", "Hassan", "Ahmed"),          # first and last name swapped
    ("Мария", "Иванова", "Maria", "Ivanova"),
    ("Jelena", "Petrović", "Jelena", "Petrovic"),
    ("Anna-Lena", "Groß", "Anna Lena", "Gross"),
    ("Mohammad", "Al Haddad", "Mohammed", "Al-Haddad"),  # a typo-sized difference
])
def test_similar_names(first_a, last_a, first_b, last_b):
    assert is_similar(first_a, last_a, first_b, last_b)


@pytest.mark.parametrize("first_a, last_a, first_b, last_b", [
    ("Anna", "Schmidt", "Peter", "Schmidt"),
    ("Olga", "Ivanova", "Olga", "Petrova"),
    ("Ali", "Yilmaz", "Ayşe", "Demir"),
    ("", "", "Ali", "Yilmaz"),
])
def test_different_people_are_not_similar(first_a, last_a, first_b, last_b):
    assert not is_similar(first_a, last_a, first_b, last_b)


def test_query_finds_only_same_partner_and_birth_date(ctx, factories):
    born = date(1984, 3, 9)
    same = factories.client(partner="migra", first_name="Ayşe", last_name="Öztürk", birth_date=born)
    factories.client(partner="migra", first_name="Ayse", last_name="Ozturk", birth_date=date(1984, 3, 10))
    factories.client(partner="vsp", first_name="Ayse", last_name="Oeztuerk", birth_date=born)
    factories.client(partner="migra", first_name="Fatma", last_name="Kaya", birth_date=born)
    migra = factories.partner("migra").id
    found = find_duplicates(ctx, migra, born, "AYSE", "Oeztuerk")
    assert [client.id for client in found] == [same.id]
    assert find_duplicates(ctx, migra, born, "Ayse", "Oeztuerk", exclude_id=same.id) == []
    assert find_duplicates(ctx, migra, None, "Ayse", "Oeztuerk") == []
