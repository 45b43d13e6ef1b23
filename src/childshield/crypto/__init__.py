"""Pure, storage-free cryptography shared by the provider and the centre.

- :mod:`.canonical`: RFC 8785 canonical JSON and strict JSON parsing.
- :mod:`.signing`: Ed25519 keys, key ids, signed JSON envelopes, trusted-key sets.
- :mod:`.sealing`: content encrypted for the centre (X25519 + HKDF-SHA256 + AES-256-GCM).
- :mod:`.keyring`: evidence encryption at rest (AES-256-GCM) with key rotation.

Every verification failure raises :class:`childshield.errors.IntegrityError` whose
``extra["fault"]`` names the fault (see :data:`.signing.FAULTS`).
"""
