"""The stand-in hash verified for an unknown address costs what a user's hash costs."""

from __future__ import annotations

from cdrhub.people import passwords


def test_the_unknown_address_hash_has_the_parameters_of_a_new_hash() -> None:
    fresh = passwords.hash_password("a new password, long enough")
    assert passwords.needs_rehash(passwords._DUMMY_HASH) is False
    assert passwords._DUMMY_HASH.split("$")[:4] == fresh.split("$")[:4]
    assert passwords.verify_password(None, "a new password, long enough") is False
