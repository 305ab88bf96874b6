"""Tool private keys are encrypted at rest with a key derived from SECRET_KEY, and decrypted only with it."""

from __future__ import annotations

from functools import cache

import pytest

from lti_tool.key_vault import KeyVault, UndecryptableKey
from lti_tool.keys import new_private_key_pem, tool_key_row

OLD_SECRET = "the-old-secret-key-of-this-tool-0123456789"
NEW_SECRET = "the-new-secret-key-of-this-tool-9876543210"


@cache
def _pem() -> str:
    return new_private_key_pem()


def test_the_stored_private_key_is_not_a_pem_and_does_not_contain_it():
    row = tool_key_row(_pem(), KeyVault(NEW_SECRET))

    assert "PRIVATE KEY" not in row.encrypted_private_key
    body = "".join(_pem().splitlines()[1:-1])
    assert body[:40] not in row.encrypted_private_key.replace("\n", "")
    assert "PRIVATE" not in str(row.public_jwk) and "d" not in row.public_jwk  # the JWK's private exponent


def test_the_private_key_decrypts_with_the_secret_it_was_encrypted_with():
    encrypted = KeyVault(NEW_SECRET).encrypt(_pem())

    assert KeyVault(NEW_SECRET).decrypt(encrypted, "kid-1") == _pem()


def test_another_secret_cannot_decrypt_it_and_the_error_says_what_to_do():
    encrypted = KeyVault(OLD_SECRET).encrypt(_pem())

    with pytest.raises(UndecryptableKey) as refused:
        KeyVault(NEW_SECRET).decrypt(encrypted, "kid-1")
    assert "kid-1" in str(refused.value)
    assert "SECRET_KEY_PREVIOUS" in str(refused.value) and "peerlti keys reencrypt" in str(refused.value)


def test_during_a_rotation_the_previous_secret_still_decrypts_and_reencrypting_moves_to_the_current_one():
    encrypted = KeyVault(OLD_SECRET).encrypt(_pem())
    rotating = KeyVault(NEW_SECRET, previous_secret_key=OLD_SECRET)

    assert rotating.decrypt(encrypted, "kid-1") == _pem()
    assert not rotating.is_current(encrypted)
    moved = rotating.reencrypt(encrypted, "kid-1")
    assert rotating.is_current(moved)
    assert KeyVault(NEW_SECRET).decrypt(moved, "kid-1") == _pem()
    with pytest.raises(UndecryptableKey):
        KeyVault(OLD_SECRET).decrypt(moved, "kid-1")


def test_the_vault_never_shows_its_secrets():
    assert NEW_SECRET not in repr(KeyVault(NEW_SECRET, previous_secret_key=OLD_SECRET))
