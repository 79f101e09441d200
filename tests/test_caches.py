"""Caches keyed by what CDRs and requests carry stay small: a value longer than any real one
(a phone number, a field name) is computed, not cached."""

from __future__ import annotations

from cdrhub.calls import phones
from cdrhub.voicenter import normalize


def test_long_phone_strings_are_no_numbers_and_not_cached() -> None:
    phones.to_e164("0501234567")
    before = phones._cached_e164.cache_info().currsize
    countries = phones._cached_country.cache_info().currsize
    for i in range(3000):
        junk = f"{i:06d}" + "5" * 10_000
        assert phones.to_e164(junk) is None
        assert phones.country_of(junk) is None
    assert phones._cached_e164.cache_info().currsize == before
    assert phones._cached_country.cache_info().currsize == countries
    assert phones.to_e164(" +972 (50) 123-4567 ") == "+972501234567"  # 20 characters: fine
    assert phones.parse_e164("050-123-4567") == "+972501234567"


def test_long_field_names_are_squashed_but_not_cached() -> None:
    before = normalize._squash_cached.cache_info().currsize
    for i in range(3000):
        assert normalize.squash_key(f"Junk_{i} " + "A" * 100) == f"junk{i}" + "a" * 100
    assert normalize._squash_cached.cache_info().currsize == before
    assert normalize.squash_key("Seconds_Waiting_In_ Queue") == "secondswaitinginqueue"
