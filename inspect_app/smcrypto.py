"""The national commercial algorithms (国密): SM3 hashing and HMAC-SM3, SM4-GCM encryption, SM2 signatures.

SM3 and SM4 come from `cryptography`, whose wheel carries an OpenSSL with both (Debian 12's own OpenSSL 3.0 has
SM4 but no SM4-GCM; the wheel's is used either way). `cryptography` has no SM2, so signatures come from
`gmssl_pyx`, a C extension over GmSSL, the reference implementation of the GM/T standards (docs/deploy.md,
"国密", says why this one). Every primitive is checked against the published GM/T vectors in
tests/test_smcrypto.py. No Flask here: the render worker signs documents and reads attachments with it.

SM2 keys are kept as PEM in the standard forms OpenSSL reads and writes (PKCS#8 for the private key,
SubjectPublicKeyInfo for the public one, with the SM2 curve's OID), so `openssl pkey` can inspect them.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

import gmssl_pyx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


# SM4-GCM -------------------------------------------------------------------------------------------------------

SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16


class DecryptionFailed(Exception):
    """The ciphertext, its tag or its associated data was altered, or another key was used."""


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, associated: bytes = b"", nonce: bytes | None = None) -> bytes:
    """nonce ‖ ciphertext ‖ tag. A fresh random nonce unless one is given (tests only: a nonce must never repeat
    under one key)."""
    nonce = nonce or os.urandom(GCM_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def sm4_gcm_decrypt(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    if len(sealed) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise DecryptionFailed("too short")
    nonce, ciphertext, tag = sealed[:GCM_NONCE_BYTES], sealed[GCM_NONCE_BYTES:-GCM_TAG_BYTES], sealed[-GCM_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated)
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionFailed("the authentication tag does not match") from None


# SM2 -----------------------------------------------------------------------------------------------------------

# DER prefixes of an SM2 key: id-ecPublicKey with the curve sm2p256v1 (1.2.156.10197.1.301), as OpenSSL writes them.
_ALGORITHM = bytes.fromhex("301306072a8648ce3d020106082a811ccf5501822d")
_PKCS8_HEAD = bytes.fromhex("308187020100") + _ALGORITHM + bytes.fromhex("046d306b0201010420")
_PKCS8_MIDDLE = bytes.fromhex("a14403420004")
_SPKI_HEAD = bytes.fromhex("3059") + _ALGORITHM + bytes.fromhex("03420004")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----")

# The signer's identity of GM/T 0009 when none is agreed: the same on both sides of every signature here.
DEFAULT_SIGNER_ID = b"1234567812345678"


class KeyFormatError(ValueError):
    """Not an SM2 key in the form this system writes (PKCS#8 / SubjectPublicKeyInfo PEM on the SM2 curve)."""


def _pem(label: str, der: bytes) -> str:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _der(text: str, label: str) -> bytes:
    for found in _PEM.finditer(text):
        if found[1] == label:
            return base64.b64decode("".join(found[2].split()), validate=True)
    raise KeyFormatError(f"no {label} in PEM form")


@dataclass(frozen=True)
class PublicKey:
    """An SM2 public key: the point's 64 bytes, x ‖ y."""

    point: bytes

    @property
    def der(self) -> bytes:
        return _SPKI_HEAD + self.point

    @property
    def key_id(self) -> str:
        """16 hex characters naming the key in signatures and listings: the start of its fingerprint."""
        return self.fingerprint[:16]

    @property
    def fingerprint(self) -> str:
        """SM3 of the key's DER, hex: what a bureau prints or publishes so anyone can check which key signed."""
        return sm3(self.der).hex()

    def pem(self) -> str:
        return _pem("PUBLIC KEY", self.der)

    @classmethod
    def from_pem(cls, text: str) -> PublicKey:
        der = _der(text, "PUBLIC KEY")
        if len(der) != len(_SPKI_HEAD) + 64 or not der.startswith(_SPKI_HEAD):
            raise KeyFormatError("not an SM2 public key")
        return cls(der[len(_SPKI_HEAD) :])

    def verify(self, message: bytes, signature: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bool:
        """Whether `signature` (DER r, s) is this key's over `message`, by SM2 with SM3 and the signer's Z value."""
        try:
            return bool(gmssl_pyx.sm2_verify(self.point, message, signature, signer_id=signer_id))
        except (gmssl_pyx.GmsslInnerError, ValueError, TypeError):
            return False  # a malformed signature is no signature


@dataclass(frozen=True)
class PrivateKey:
    secret: bytes  # 32 bytes
    public: PublicKey

    @classmethod
    def generate(cls) -> PrivateKey:
        point, secret = gmssl_pyx.sm2_key_generate()
        return cls(secret, PublicKey(point))

    def pem(self) -> str:
        return _pem("PRIVATE KEY", _PKCS8_HEAD + self.secret + _PKCS8_MIDDLE + self.public.point)

    @classmethod
    def from_pem(cls, text: str) -> PrivateKey:
        der = _der(text, "PRIVATE KEY")
        middle = len(_PKCS8_HEAD) + 32
        if (len(der) != middle + len(_PKCS8_MIDDLE) + 64 or not der.startswith(_PKCS8_HEAD)
                or der[middle : middle + len(_PKCS8_MIDDLE)] != _PKCS8_MIDDLE):
            raise KeyFormatError("not an SM2 private key in PKCS#8 form with its public key")
        key = cls(der[len(_PKCS8_HEAD) : middle], PublicKey(der[middle + len(_PKCS8_MIDDLE) :]))
        probe = b"key check"
        if not key.public.verify(probe, key.sign(probe)):
            raise KeyFormatError("the private key and the public key in the file do not belong together")
        return key

    def sign(self, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
        """SM2 with SM3 over Z ‖ message, a fresh random k each time (GmSSL's, from the system's generator); DER."""
        return gmssl_pyx.sm2_sign(self.secret, self.public.point, message, signer_id=signer_id)
