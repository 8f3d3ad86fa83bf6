"""SM2, SM3 and SM4 against the published vectors, and SM2 against another implementation (Debian's OpenSSL)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from inspect_app import smcrypto


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


# SM3 — GM/T 0004-2012 (GB/T 32905-2016), appendix A: the two examples.

def test_sm3_of_abc_is_the_standards_first_example():
    assert smcrypto.sm3(b"abc") == h("66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0")


def test_sm3_of_the_512_bit_message_is_the_standards_second_example():
    assert smcrypto.sm3(b"abcd" * 16) == h("debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732")


def test_sm3_gives_the_z_value_and_digest_of_the_sm2_signature_example():
    """GM/T 0003.2-2012 appendix A.2 (the example curve): Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A),
    then e = SM3(Z_A ‖ M), the number the signature is computed over."""
    identity = b"ALICE123@YAHOO.COM"
    curve = h("""787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498
                 63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A
                 421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D
                 0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2""")
    public = h("""0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A
                  7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857""")
    z = smcrypto.sm3((len(identity) * 8).to_bytes(2, "big") + identity + curve + public)
    assert z == h("F4A38489 E32B45B6 F876E3AC 2168CA39 2362DC8F 23459C1D 1146FC3D BFB7BC9A")
    assert smcrypto.sm3(z + b"message digest") == h(
        "B524F552 CD82B8B0 28476E00 5C377FB1 9A87E6FC 682D48BB 5D42E3D9 B9EFFE76")


def test_hmac_sm3_is_rfc_2104_over_sm3():
    """HMAC-SM3 built by hand from the definition (64-byte blocks) agrees with the library's."""
    key, message = b"audit key" * 5, b"record 1"
    block = key.ljust(64, b"\0")
    inner = smcrypto.sm3(bytes(b ^ 0x36 for b in block) + message)
    assert smcrypto.hmac_sm3(key, message) == smcrypto.sm3(bytes(b ^ 0x5C for b in block) + inner)
    assert smcrypto.hmac_sm3(key, message) != smcrypto.hmac_sm3(key + b"x", message)


# SM4 — GM/T 0002-2012 (GB/T 32907-2016), appendix A, and RFC 8998's SM4-GCM example.

def test_sm4_encrypts_the_standards_example_block():
    key = h("01234567 89abcdef fedcba98 76543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert encryptor.update(key) + encryptor.finalize() == h("681edf34 d206965e 86b3e94f 536e4246")


def test_sm4_gcm_gives_rfc_8998s_example_and_refuses_any_change():
    key, nonce = h("0123456789ABCDEFFEDCBA9876543210"), h("00001234567800000000ABCD")
    associated = h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                  "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    sealed = smcrypto.sm4_gcm_encrypt(key, plaintext, associated, nonce=nonce)
    assert sealed == nonce + h("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                               "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D") + h(
        "83DE3541E4C2B58177E065A9BF7B62EC")
    assert smcrypto.sm4_gcm_decrypt(key, sealed, associated) == plaintext
    flipped = bytearray(sealed)
    flipped[20] ^= 1
    for altered, aad, other_key in ((bytes(flipped), associated, key), (sealed, b"other", key),
                                    (sealed, associated, bytes(16)), (sealed[:20], associated, key)):
        with pytest.raises(smcrypto.DecryptionFailed):
            smcrypto.sm4_gcm_decrypt(other_key, altered, aad)


def test_sm4_gcm_never_repeats_a_nonce_on_its_own():
    key = bytes(range(16))
    assert smcrypto.sm4_gcm_encrypt(key, b"photo")[:12] != smcrypto.sm4_gcm_encrypt(key, b"photo")[:12]


# SM2 — GB/T 32918.2-2016 on the recommended curve: the published signature of "message digest" by d below (the
# vector OpenSSL's sm2_internal_test checks, with k = 59276E27…). The library draws k itself and offers no way to
# fix it, so the check is that the published (r, s) verifies and any change to it does not, plus round trips.

VECTOR_PUBLIC = smcrypto.PublicKey(h(
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"))  # d = 3945208F…4DF7C5B8 times G
VECTOR_R = int("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3", 16)
VECTOR_S = int("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA", 16)


def test_sm2_verifies_the_published_signature_and_nothing_else():
    signature = encode_dss_signature(VECTOR_R, VECTOR_S)
    assert VECTOR_PUBLIC.verify(b"message digest", signature)
    assert not VECTOR_PUBLIC.verify(b"message digesT", signature)
    assert not VECTOR_PUBLIC.verify(b"message digest", encode_dss_signature(VECTOR_R, VECTOR_S + 1))
    assert not VECTOR_PUBLIC.verify(b"message digest", signature, signer_id=b"ALICE123@YAHOO.COM")
    assert not VECTOR_PUBLIC.verify(b"message digest", b"\x30\x02garbage")
    assert not smcrypto.PrivateKey.generate().public.verify(b"message digest", signature)


def test_sm2_signs_with_a_fresh_k_and_verifies_round_trip():
    key = smcrypto.PrivateKey.generate()
    first, second = key.sign(b"document"), key.sign(b"document")
    assert first != second  # a repeated k would give the private key away
    assert key.public.verify(b"document", first) and key.public.verify(b"document", second)
    assert not key.public.verify(b"documenT", first)


def test_sm2_keys_survive_pem_and_refuse_what_is_not_an_sm2_key(tmp_path):
    key = smcrypto.PrivateKey.generate()
    again = smcrypto.PrivateKey.from_pem(key.pem())
    assert again == key and smcrypto.PublicKey.from_pem(key.public.pem()) == key.public
    assert len(key.public.key_id) == 16 and key.public.fingerprint.startswith(key.public.key_id)
    mismatched = smcrypto.PrivateKey(key.secret, smcrypto.PrivateKey.generate().public)
    with pytest.raises(smcrypto.KeyFormatError, match="do not belong together"):
        smcrypto.PrivateKey.from_pem(mismatched.pem())
    with pytest.raises(smcrypto.KeyFormatError):
        smcrypto.PublicKey.from_pem(key.pem())
    with pytest.raises(smcrypto.KeyFormatError):
        smcrypto.PrivateKey.from_pem("not a key")


openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command (TEST_PACKAGES)")


def _openssl(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, check=False)


@openssl
def test_sm2_signatures_agree_with_debians_openssl_both_ways(tmp_path):
    """A second implementation: OpenSSL verifies our signatures, we verify OpenSSL's, and each reads the other's
    key files."""
    ours = smcrypto.PrivateKey.generate()
    (tmp_path / "ours.pem").write_text(ours.public.pem())
    (tmp_path / "message").write_bytes(b"message digest")
    (tmp_path / "ours.sig").write_bytes(ours.sign(b"message digest"))
    sm2 = ["-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    checked = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", "ours.pem", "-in", "message", "-sigfile", "ours.sig",
                       *sm2, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr

    assert _openssl("genpkey", "-algorithm", "SM2", "-out", "theirs.pem", cwd=tmp_path).returncode == 0
    assert _openssl("pkeyutl", "-sign", "-inkey", "theirs.pem", "-in", "message", "-out", "theirs.sig", *sm2,
                    cwd=tmp_path).returncode == 0
    theirs = smcrypto.PrivateKey.from_pem((tmp_path / "theirs.pem").read_text())
    assert theirs.public.verify(b"message digest", (tmp_path / "theirs.sig").read_bytes())
    public = _openssl("pkey", "-in", "theirs.pem", "-pubout", cwd=tmp_path).stdout.decode()
    assert smcrypto.PublicKey.from_pem(public) == theirs.public
