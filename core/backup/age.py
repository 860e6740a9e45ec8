"""The age v1 file format (age-encryption.org/v1, the C2SP age specification) on `cryptography` alone.

What is here: X25519 recipients and identities (``age1…`` / ``AGE-SECRET-KEY-1…``, Bech32), ssh-ed25519
recipients and identities (an administrator's OpenSSH key), scrypt passphrase recipients, the header with
its HMAC, and the STREAM payload (64 KiB ChaCha20-Poly1305 chunks). Files written here decrypt with the
standard ``age`` tool and the other way round.

Why our own implementation: the scrypt work factor is fixed at 2^18 when writing (never calibrated to the
machine, so a file written on a fast server opens on a slow school PC), encryption and decryption stream
with memory bounded by a few chunks, and every refusal says what is wrong — which line of the header,
which chunk of the payload.

Reading: :func:`decrypt` parses and authenticates the header at once (raising :class:`HeaderError` or
:class:`NoIdentityMatched`), then returns a reader that authenticates each chunk before releasing its
bytes and raises :class:`PayloadError` on the first bad chunk, on truncation and on trailing data. Bytes
already released before such an error are authentic but incomplete: use the plaintext only after reading
to EOF without an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, NoReturn, Protocol, cast, runtime_checkable

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from zhurnal.core.errors import ZhurnalError

__all__ = [
    "CHUNK_SIZE",
    "MAX_HEADER_SIZE",
    "MAX_STANZAS",
    "MAX_STANZA_BODY",
    "SCRYPT_MAX_WORK_FACTOR",
    "SCRYPT_WORK_FACTOR",
    "AgeError",
    "DecryptReader",
    "HeaderError",
    "Identity",
    "NoIdentityMatched",
    "PayloadError",
    "Recipient",
    "ScryptIdentity",
    "ScryptRecipient",
    "SshEd25519Identity",
    "SshEd25519Recipient",
    "Stanza",
    "X25519Identity",
    "X25519Recipient",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "encrypt_bytes",
    "parse_identities",
    "parse_recipient",
    "unwrap_identity",
    "wrap_identity",
]

INTRO = b"age-encryption.org/v1"
CHUNK_SIZE = 64 * 1024  # plaintext bytes per STREAM chunk (fixed by the spec)
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
FILE_KEY_SIZE = 16
STREAM_NONCE_SIZE = 16
COLUMNS = 64  # base64 columns per stanza body line

# Bounds on what a hostile or damaged header can make us hold in memory or compute.
MAX_HEADER_SIZE = 64 * 1024
MAX_STANZA_BODY = 1024
MAX_STANZAS = 64

SCRYPT_WORK_FACTOR = 18  # log2(N) for every passphrase-wrapped file we write
SCRYPT_MAX_WORK_FACTOR = 22  # highest log2(N) we agree to compute when reading (2^22 needs 4 GiB, ~20 s)

_X25519_LABEL = b"age-encryption.org/v1/X25519"
_SSH_ED25519_LABEL = b"age-encryption.org/v1/ssh-ed25519"
_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
_ZERO_NONCE = bytes(12)
_CURVE25519_P = 2**255 - 19
_MAX_COUNTER = 1 << 88


# ----------------------------------------------------------------------------------------------- errors


class AgeError(ZhurnalError):
    """Anything wrong with an age file or key; the message says what, in words for the user."""


class NoIdentityMatched(AgeError):
    """None of the given keys or passphrases opens the file (wrong key, wrong passphrase)."""


class HeaderError(AgeError):
    """The header is malformed, damaged, altered, or asks for more than we agree to do."""


class PayloadError(AgeError):
    """The encrypted payload is damaged, truncated, reordered or followed by extra bytes.

    ``chunk`` is the 0-based index of the first 64 KiB chunk at fault (for truncation or trailing data,
    the index where the missing or extra chunk begins).
    """

    def __init__(self, chunk: int, message: str) -> None:
        self.chunk = chunk
        super().__init__(message)

    def __reduce__(self) -> tuple[type[PayloadError], tuple[int, str]]:
        return (PayloadError, (self.chunk, str(self)))


# ----------------------------------------------------------------------------------------------- base64


_B64_ALPHABET = re.compile(r"[A-Za-z0-9+/]*")


def _b64encode(data: bytes) -> str:
    """Standard alphabet, no padding — the only base64 age uses."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str, what: str) -> bytes:
    """Strict, canonical, unpadded standard base64 (any other encoding would make the header malleable)."""
    if not _B64_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise HeaderError(f"{what}: недопустимый base64")
    raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    if _b64encode(raw) != text:
        raise HeaderError(f"{what}: неканоническая запись base64")
    return raw


# ----------------------------------------------------------------------------------------------- bech32


_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _bech32_polymod(values: Sequence[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _BECH32_GEN[i]
    return chk


def _bech32_hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: Sequence[int], from_bits: int, to_bits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    max_acc = (1 << (from_bits + to_bits - 1)) - 1
    for value in data:
        acc = ((acc << from_bits) | value) & max_acc
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (acc << (to_bits - bits)) & max_value:
        return None
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP-173 Bech32 (not Bech32m), lower case, without BIP-173's 90-character limit (as age does)."""
    values = cast(list[int], _convert_bits(data, 8, 5, True))
    chk = _bech32_polymod([*_bech32_hrp_expand(hrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[v] for v in values + checksum)


def bech32_decode(text: str, what: str = "ключ") -> tuple[str, bytes]:
    """Return (lower-case human-readable part, data); AgeError naming what is wrong."""
    if len(text) > 1000:
        raise AgeError(f"{what}: слишком длинная строка")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise AgeError(f"{what}: недопустимые символы (пробелы или не-ASCII)")
    if text.lower() != text and text.upper() != text:
        raise AgeError(f"{what}: смешаны строчные и заглавные буквы")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise AgeError(f"{what}: не похоже на запись Bech32")
    hrp = text[:pos]
    values = []
    for c in text[pos + 1 :]:
        index = _BECH32_CHARSET.find(c)
        if index < 0:
            raise AgeError(f"{what}: символ «{c}» недопустим в Bech32")
        values.append(index)
    if _bech32_polymod([*_bech32_hrp_expand(hrp), *values]) != 1:
        raise AgeError(f"{what}: не сходится контрольная сумма — ключ переписан с ошибкой или повреждён")
    data = _convert_bits(values[:-6], 5, 8, False)
    if data is None:
        raise AgeError(f"{what}: неверное дополнение в конце данных Bech32")
    return hrp, bytes(data)


# ----------------------------------------------------------------------------------------------- primitives


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _x25519(scalar: bytes, point: bytes) -> bytes | None:
    """X25519(scalar, point), or None when the result is all zeros (a low-order point)."""
    try:
        shared = x25519.X25519PrivateKey.from_private_bytes(scalar).exchange(
            x25519.X25519PublicKey.from_public_bytes(point)
        )
    except ValueError:
        return None
    if not any(shared):
        return None
    return shared


def _x25519_public(scalar: bytes) -> bytes:
    return x25519.X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes_raw()


def _aead_wrap(key: bytes, file_key: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


def _aead_unwrap(key: bytes, body: bytes, stanza_type: str) -> bytes | None:
    """The file key, or None when the body does not open with this key (not our stanza)."""
    if len(body) != FILE_KEY_SIZE + TAG_SIZE:
        raise HeaderError(f"запись {stanza_type}: тело должно быть {FILE_KEY_SIZE + TAG_SIZE} байта, "
                          f"а не {len(body)}")
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def _scrypt(passphrase: str, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=_SCRYPT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


# ----------------------------------------------------------------------------------------------- stanzas


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza of the header: ``-> type args…`` and a binary body."""

    type: str
    args: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        encoded = _b64encode(self.body)
        lines = [encoded[i : i + COLUMNS] for i in range(0, len(encoded), COLUMNS)]
        if not lines or len(lines[-1]) == COLUMNS:
            lines.append("")  # the body always ends with a line shorter than 64 columns, maybe empty
        first = " ".join(("->", self.type, *self.args))
        return "".join(f"{line}\n" for line in (first, *lines)).encode("ascii")


@runtime_checkable
class Recipient(Protocol):
    """Something a file key can be wrapped for."""

    def wrap(self, file_key: bytes) -> Stanza: ...


@runtime_checkable
class Identity(Protocol):
    """Something that may unwrap a file key from a stanza.

    ``unwrap`` returns None for a stanza that is not for it (other type, other key, wrong passphrase) and
    raises HeaderError for a stanza of its type that is malformed.
    """

    def unwrap(self, stanza: Stanza) -> bytes | None: ...


# ----------------------------------------------------------------------------------------------- X25519


class X25519Recipient:
    """A native age public key, ``age1…``."""

    __slots__ = ("public_key",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise AgeError("открытый ключ X25519 должен быть 32 байта")
        self.public_key = public_key

    @classmethod
    def from_string(cls, text: str) -> X25519Recipient:
        text = text.strip()
        hrp, data = bech32_decode(text, "ключ получателя age1…")
        if hrp != "age":
            raise AgeError(f"ключ получателя должен начинаться с «age1», а начинается с «{hrp}1»")
        if len(data) != 32:
            raise AgeError(f"ключ получателя age1…: {len(data)} байт вместо 32")
        return cls(data)

    def to_string(self) -> str:
        return bech32_encode("age", self.public_key)

    def wrap(self, file_key: bytes) -> Stanza:
        ephemeral = os.urandom(32)
        share = _x25519_public(ephemeral)
        shared = _x25519(ephemeral, self.public_key)
        if shared is None:
            raise AgeError("ключ получателя age1… недопустим (точка малого порядка)")
        wrap_key = _hkdf(shared, share + self.public_key, _X25519_LABEL)
        return Stanza("X25519", (_b64encode(share),), _aead_wrap(wrap_key, file_key))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other.public_key == self.public_key

    def __hash__(self) -> int:
        return hash(("X25519", self.public_key))

    def __repr__(self) -> str:
        return f"X25519Recipient({self.to_string()!r})"

    def __str__(self) -> str:
        return self.to_string()


class X25519Identity:
    """A native age secret key, ``AGE-SECRET-KEY-1…``."""

    __slots__ = ("_public", "_secret")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise AgeError("секретный ключ X25519 должен быть 32 байта")
        self._secret = secret
        self._public = _x25519_public(secret)

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(os.urandom(32))

    @classmethod
    def from_string(cls, text: str) -> X25519Identity:
        hrp, data = bech32_decode(text.strip(), "секретный ключ AGE-SECRET-KEY-1…")
        if hrp != "age-secret-key-":
            raise AgeError("секретный ключ должен начинаться с «AGE-SECRET-KEY-1»")
        if len(data) != 32:
            raise AgeError(f"секретный ключ AGE-SECRET-KEY-1…: {len(data)} байт вместо 32")
        return cls(data)

    def to_string(self) -> str:
        return bech32_encode("age-secret-key-", self._secret).upper()

    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public)

    def unwrap(self, stanza: Stanza) -> bytes | None:
        if stanza.type != "X25519":
            return None
        if len(stanza.args) != 1:
            raise HeaderError("запись X25519: ожидался один аргумент (эфемерный ключ)")
        share = _b64decode(stanza.args[0], "запись X25519")
        if len(share) != 32:
            raise HeaderError(f"запись X25519: эфемерный ключ {len(share)} байт вместо 32")
        shared = _x25519(self._secret, share)
        if shared is None:
            raise HeaderError("запись X25519: эфемерный ключ недопустим (точка малого порядка)")
        wrap_key = _hkdf(shared, share + self._public, _X25519_LABEL)
        return _aead_unwrap(wrap_key, stanza.body, "X25519")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Identity) and hmac.compare_digest(other._secret, self._secret)

    def __hash__(self) -> int:
        return hash(("X25519Identity", self._public))

    def __repr__(self) -> str:  # never show the secret
        return f"X25519Identity(recipient={self.recipient().to_string()!r})"


# ----------------------------------------------------------------------------------------------- ssh-ed25519


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _ssh_ed25519_wire(public_key: bytes) -> bytes:
    """The SSH wire encoding of an Ed25519 public key (what OpenSSH base64-encodes in a .pub line)."""
    return _ssh_string(b"ssh-ed25519") + _ssh_string(public_key)


def _parse_ssh_ed25519_wire(blob: bytes) -> bytes:
    fields: list[bytes] = []
    pos = 0
    while pos < len(blob) and len(fields) < 3:
        if pos + 4 > len(blob):
            break
        length = int.from_bytes(blob[pos : pos + 4], "big")
        if pos + 4 + length > len(blob):
            break
        fields.append(blob[pos + 4 : pos + 4 + length])
        pos += 4 + length
    if pos != len(blob) or len(fields) != 2 or fields[0] != b"ssh-ed25519":
        raise AgeError("ключ ssh-ed25519 повреждён (неверная структура ключа)")
    if len(fields[1]) != 32:
        raise AgeError("ключ ssh-ed25519 повреждён (длина ключа не 32 байта)")
    return fields[1]


def _ed25519_to_x25519(public_key: bytes) -> bytes:
    """Birational map of an Edwards point to its Montgomery u-coordinate: u = (1 + y) / (1 - y) mod p."""
    y = int.from_bytes(public_key, "little") & ((1 << 255) - 1)  # the top bit is the sign of x
    denominator = (1 - y) % _CURVE25519_P
    if denominator == 0:
        raise AgeError("ключ ssh-ed25519 недопустим (нейтральная точка)")
    u = (1 + y) * pow(denominator, -1, _CURVE25519_P) % _CURVE25519_P
    return u.to_bytes(32, "little")


def _ssh_tag(wire: bytes) -> bytes:
    return hashlib.sha256(wire).digest()[:4]


class SshEd25519Recipient:
    """An OpenSSH Ed25519 public key (``ssh-ed25519 AAAA… comment``) used as an age recipient."""

    __slots__ = ("_montgomery", "_tweak", "comment", "public_key", "wire")

    def __init__(self, public_key: bytes, comment: str = "") -> None:
        if len(public_key) != 32:
            raise AgeError("ключ ssh-ed25519 должен быть 32 байта")
        self.public_key = public_key
        self.comment = comment
        self.wire = _ssh_ed25519_wire(public_key)
        self._montgomery = _ed25519_to_x25519(public_key)
        self._tweak = _hkdf(b"", self.wire, _SSH_ED25519_LABEL)

    @classmethod
    def from_string(cls, text: str) -> SshEd25519Recipient:
        parts = text.strip().split(None, 2)
        if not parts or parts[0] != "ssh-ed25519":
            kind = parts[0] if parts else "пустая строка"
            raise AgeError(f"ожидался открытый ключ «ssh-ed25519 AAAA…», а не «{kind[:20]}»")
        if len(parts) < 2:
            raise AgeError("в строке ssh-ed25519 нет самого ключа (AAAA…)")
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except ValueError:
            raise AgeError("ключ ssh-ed25519: недопустимый base64") from None
        return cls(_parse_ssh_ed25519_wire(blob), parts[2].strip() if len(parts) > 2 else "")

    def to_string(self) -> str:
        line = "ssh-ed25519 " + base64.b64encode(self.wire).decode("ascii")
        return f"{line} {self.comment}" if self.comment else line

    def wrap(self, file_key: bytes) -> Stanza:
        ephemeral = os.urandom(32)
        share = _x25519_public(ephemeral)
        shared = _x25519(ephemeral, self._montgomery)
        if shared is not None:
            shared = _x25519(self._tweak, shared)
        if shared is None:
            raise AgeError("ключ ssh-ed25519 недопустим (точка малого порядка)")
        wrap_key = _hkdf(shared, share + self._montgomery, _SSH_ED25519_LABEL)
        args = (_b64encode(_ssh_tag(self.wire)), _b64encode(share))
        return Stanza("ssh-ed25519", args, _aead_wrap(wrap_key, file_key))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SshEd25519Recipient) and other.public_key == self.public_key

    def __hash__(self) -> int:
        return hash(("ssh-ed25519", self.public_key))

    def __repr__(self) -> str:
        return f"SshEd25519Recipient({self.to_string()!r})"

    def __str__(self) -> str:
        return self.to_string()


class SshEd25519Identity:
    """An unencrypted OpenSSH Ed25519 private key used as an age identity."""

    __slots__ = ("_public", "_recipient", "_scalar", "_tag", "_tweak")

    def __init__(self, private_key: ed25519.Ed25519PrivateKey, comment: str = "") -> None:
        seed = private_key.private_bytes_raw()
        scalar = bytearray(hashlib.sha512(seed).digest()[:32])
        scalar[0] &= 248
        scalar[31] &= 127
        scalar[31] |= 64
        self._scalar = bytes(scalar)
        self._public = _x25519_public(self._scalar)
        self._recipient = SshEd25519Recipient(private_key.public_key().public_bytes_raw(), comment)
        self._tag = _b64encode(_ssh_tag(self._recipient.wire))
        self._tweak = _hkdf(b"", self._recipient.wire, _SSH_ED25519_LABEL)

    @classmethod
    def from_openssh(cls, pem: bytes | str) -> SshEd25519Identity:
        data = pem.encode("utf-8") if isinstance(pem, str) else pem
        try:
            key = serialization.load_ssh_private_key(data, password=None)
        except TypeError:
            raise AgeError(
                "закрытый SSH-ключ защищён паролем; расшифруйте его копию "
                "(ssh-keygen -p -N \"\" -f КОПИЯ) или используйте ключ AGE-SECRET-KEY-1…"
            ) from None
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise AgeError(f"не удалось прочитать закрытый ключ OpenSSH: {exc}") from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise AgeError("поддерживаются только SSH-ключи типа ssh-ed25519")
        return cls(key)

    def recipient(self) -> SshEd25519Recipient:
        return self._recipient

    def unwrap(self, stanza: Stanza) -> bytes | None:
        if stanza.type != "ssh-ed25519":
            return None
        if len(stanza.args) != 2:
            raise HeaderError("запись ssh-ed25519: ожидалось два аргумента (метка и эфемерный ключ)")
        share = _b64decode(stanza.args[1], "запись ssh-ed25519")
        if len(share) != 32:
            raise HeaderError(f"запись ssh-ed25519: эфемерный ключ {len(share)} байт вместо 32")
        if stanza.args[0] != self._tag:
            return None
        shared = _x25519(self._scalar, share)
        if shared is not None:
            shared = _x25519(self._tweak, shared)
        if shared is None:
            raise HeaderError("запись ssh-ed25519: эфемерный ключ недопустим (точка малого порядка)")
        wrap_key = _hkdf(shared, share + self._public, _SSH_ED25519_LABEL)
        return _aead_unwrap(wrap_key, stanza.body, "ssh-ed25519")

    def __repr__(self) -> str:
        return f"SshEd25519Identity(recipient={self._recipient.to_string()!r})"


# ----------------------------------------------------------------------------------------------- scrypt


class ScryptRecipient:
    """A passphrase. Written with a fixed work factor (2^18 by default), never calibrated to the machine.

    A file wrapped for a passphrase has no other recipients (the spec forbids mixing).
    """

    __slots__ = ("_passphrase", "work_factor")

    def __init__(self, passphrase: str, work_factor: int = SCRYPT_WORK_FACTOR) -> None:
        if not passphrase:
            raise AgeError("пароль не может быть пустым")
        if not 1 <= work_factor <= SCRYPT_MAX_WORK_FACTOR:
            raise AgeError(f"показатель сложности scrypt должен быть от 1 до {SCRYPT_MAX_WORK_FACTOR}")
        self._passphrase = passphrase
        self.work_factor = work_factor

    def wrap(self, file_key: bytes) -> Stanza:
        salt = os.urandom(16)
        key = _scrypt(self._passphrase, salt, self.work_factor)
        return Stanza("scrypt", (_b64encode(salt), str(self.work_factor)), _aead_wrap(key, file_key))

    def __repr__(self) -> str:
        return f"ScryptRecipient(work_factor={self.work_factor})"


class ScryptIdentity:
    """A passphrase for reading; refuses files that demand more than 2^max_work_factor scrypt work."""

    __slots__ = ("_passphrase", "max_work_factor")

    def __init__(self, passphrase: str, max_work_factor: int = SCRYPT_MAX_WORK_FACTOR) -> None:
        self._passphrase = passphrase
        self.max_work_factor = max_work_factor

    def unwrap(self, stanza: Stanza) -> bytes | None:
        if stanza.type != "scrypt":
            return None
        if len(stanza.args) != 2:
            raise HeaderError("запись scrypt: ожидалось два аргумента (соль и показатель сложности)")
        salt = _b64decode(stanza.args[0], "запись scrypt, соль")
        if len(salt) != 16:
            raise HeaderError(f"запись scrypt: соль {len(salt)} байт вместо 16")
        text = stanza.args[1]
        if not re.fullmatch(r"[1-9][0-9]*", text):
            raise HeaderError(f"запись scrypt: показатель сложности «{text[:10]}» — не положительное число")
        if len(text) > 3 or int(text) > self.max_work_factor:
            raise HeaderError(
                f"запись scrypt: показатель сложности 2^{text[:10]} больше допустимого 2^{self.max_work_factor}"
                " — файл потребовал бы слишком много памяти и времени"
            )
        work_factor = int(text)
        if len(stanza.body) != FILE_KEY_SIZE + TAG_SIZE:  # check before spending a second on scrypt
            raise HeaderError(f"запись scrypt: тело должно быть {FILE_KEY_SIZE + TAG_SIZE} байта")
        return _aead_unwrap(_scrypt(self._passphrase, salt, work_factor), stanza.body, "scrypt")

    def __repr__(self) -> str:
        return f"ScryptIdentity(max_work_factor={self.max_work_factor})"


# ----------------------------------------------------------------------------------------------- parsing keys


def parse_recipient(text: str) -> X25519Recipient | SshEd25519Recipient:
    """An ``age1…`` key or an ``ssh-ed25519 AAAA…`` line; AgeError says what is wrong."""
    stripped = text.strip()
    if not stripped:
        raise AgeError("ключ получателя не указан")
    lowered = stripped.lower()
    if lowered.startswith("age-secret-key-"):
        raise AgeError("это секретный ключ (AGE-SECRET-KEY-1…), а нужен открытый ключ получателя (age1…); "
                       "никому не передавайте секретный ключ")
    if lowered.startswith("age1"):
        return X25519Recipient.from_string(stripped)
    if stripped.startswith("ssh-ed25519"):
        return SshEd25519Recipient.from_string(stripped)
    if stripped.startswith(("ssh-rsa", "ecdsa-sha2-", "sk-", "ssh-dss")):
        kind = stripped.split()[0]
        raise AgeError(f"SSH-ключи типа {kind} не поддерживаются: укажите ключ ssh-ed25519 или age1…")
    if "PRIVATE KEY" in stripped:
        raise AgeError("это закрытый ключ, а нужен открытый ключ получателя (age1… или ssh-ed25519 AAAA…)")
    raise AgeError("не ключ получателя: ожидался ключ age1… или строка «ssh-ed25519 AAAA…»")


def parse_identities(text: str | bytes) -> list[X25519Identity | SshEd25519Identity]:
    """The contents of an identity file: ``AGE-SECRET-KEY-1…`` lines (with ``#`` comments and blank lines),
    or one unencrypted OpenSSH ssh-ed25519 private key."""
    if isinstance(text, bytes):
        if text.startswith(INTRO):
            raise AgeError("файл ключа сам зашифрован (age); сначала расшифруйте его паролем")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise AgeError("файл ключа не является текстом") from None
    stripped = text.strip()
    if stripped.startswith(INTRO.decode()):
        raise AgeError("файл ключа сам зашифрован (age); сначала расшифруйте его паролем")
    if stripped.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"):
        return [SshEd25519Identity.from_openssh(stripped.encode("utf-8") + b"\n")]
    if stripped.startswith("-----BEGIN"):
        raise AgeError("поддерживаются только закрытые ключи OpenSSH ssh-ed25519 и ключи AGE-SECRET-KEY-1…")
    identities: list[X25519Identity | SshEd25519Identity] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.upper().startswith("AGE-SECRET-KEY-1"):
            raise AgeError(f"строка {number} файла ключей: не ключ AGE-SECRET-KEY-1… и не комментарий")
        try:
            identities.append(X25519Identity.from_string(line))
        except AgeError as exc:
            raise AgeError(f"строка {number} файла ключей: {exc}") from None
    if not identities:
        raise AgeError("в файле ключей нет ни одного ключа")
    return identities


# ----------------------------------------------------------------------------------------------- header


_HEADER_LINE = re.compile(rb"[\x20-\x7e]*")


@dataclass
class _Header:
    stanzas: list[Stanza]
    mac: bytes
    mac_input: bytes  # the header up to and including "---"


def _read_header(src: BinaryIO) -> tuple[_Header, bytes]:
    """Parse and bound the header; return it and the bytes read past it (the start of the payload)."""
    buf = bytearray()
    start = 0
    number = 0

    def next_line() -> bytes:
        nonlocal start, number
        while True:
            end = buf.find(b"\n", start)
            if end >= 0:
                break
            if len(buf) >= MAX_HEADER_SIZE:
                raise HeaderError(f"заголовок длиннее {MAX_HEADER_SIZE // 1024} КиБ — файл повреждён или не age")
            data = src.read(4096)
            if not data:
                if not buf:
                    raise HeaderError("файл пуст")
                raise HeaderError(f"файл обрывается в заголовке (строка {number + 1}) — он усечён")
            buf.extend(data)
            if number == 0 and not (INTRO + b"\n").startswith(bytes(buf[: len(INTRO) + 1])):
                _refuse_intro(bytes(buf[: len(INTRO) + 1]))
        if end + 1 > MAX_HEADER_SIZE:
            raise HeaderError(f"заголовок длиннее {MAX_HEADER_SIZE // 1024} КиБ — файл повреждён или не age")
        line = bytes(buf[start:end])
        start = end + 1
        number += 1
        if not _HEADER_LINE.fullmatch(line):
            raise HeaderError(f"строка {number} заголовка содержит недопустимые символы (возврат каретки, "
                              "управляющие или не-ASCII) — файл повреждён")
        return line

    intro = next_line()  # already checked byte by byte as it was read
    if intro != INTRO:
        _refuse_intro(intro)
    stanzas: list[Stanza] = []
    while True:
        line_start = start
        line = next_line()
        if line.startswith(b"---"):
            parts = line.split(b" ")
            if parts[0] != b"---" or len(parts) != 2:
                raise HeaderError(f"строка {number} заголовка: неверная строка MAC («--- …»)")
            mac = _b64decode(parts[1].decode("ascii"), f"строка {number} заголовка (MAC)")
            if len(mac) != 32:
                raise HeaderError(f"строка {number} заголовка: MAC {len(mac)} байт вместо 32")
            header = _Header(stanzas, mac, bytes(buf[: line_start + 3]))
            return header, bytes(buf[start:])
        if not line.startswith(b"->"):
            raise HeaderError(f"строка {number} заголовка: ожидалась запись получателя «-> …» или «--- …»")
        parts_text = line.decode("ascii").split(" ")
        if parts_text[0] != "->" or len(parts_text) < 2:
            raise HeaderError(f"строка {number} заголовка: неверная запись получателя")
        if any(not arg for arg in parts_text[1:]):
            raise HeaderError(f"строка {number} заголовка: пустой аргумент (лишний пробел)")
        if len(stanzas) >= MAX_STANZAS:
            raise HeaderError(f"в заголовке больше {MAX_STANZAS} записей получателей")
        body = bytearray()
        while True:
            body_line = next_line()
            if body_line.startswith((b"->", b"---")):
                raise HeaderError(f"строка {number} заголовка: запись получателя не закончена строкой тела "
                                  "короче 64 символов (хотя бы пустой)")
            if len(body_line) > COLUMNS:
                raise HeaderError(f"строка {number} заголовка длиннее {COLUMNS} символов")
            body.extend(_b64decode(body_line.decode("ascii"), f"строка {number} заголовка"))
            if len(body) > MAX_STANZA_BODY:
                raise HeaderError(f"тело записи получателя длиннее {MAX_STANZA_BODY} байт")
            if len(body_line) < COLUMNS:
                break
        stanzas.append(Stanza(parts_text[1], tuple(parts_text[2:]), bytes(body)))


def _refuse_intro(start: bytes) -> NoReturn:
    if start.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"[: len(start)]):
        raise HeaderError("файл в текстовой «броне» age (-----BEGIN AGE ENCRYPTED FILE-----) не поддерживается; "
                          "снимите броню: age -d")
    if start.startswith(b"age-encryption.org/"):
        raise HeaderError("неподдерживаемая версия формата age (ожидалась age-encryption.org/v1)")
    raise HeaderError("это не файл age (нет строки «age-encryption.org/v1» в начале)")


def _header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    return hmac.new(_hkdf(file_key, b"", b"header"), mac_input, hashlib.sha256).digest()


def _unwrap_file_key(header: _Header, identities: Sequence[Identity]) -> bytes:
    types = [s.type for s in header.stanzas]
    if "scrypt" in types and len(types) != 1:
        raise HeaderError("запись scrypt (пароль) должна быть единственной в заголовке")
    if not types:
        raise HeaderError("в заголовке нет ни одной записи получателя")
    for stanza in header.stanzas:
        for identity in identities:
            file_key = identity.unwrap(stanza)
            if file_key is None:
                continue
            if len(file_key) != FILE_KEY_SIZE:
                raise HeaderError(f"ключ файла {len(file_key)} байт вместо {FILE_KEY_SIZE}")
            return file_key
    if types == ["scrypt"]:
        if not any(isinstance(i, ScryptIdentity) for i in identities):
            raise NoIdentityMatched("файл зашифрован паролем, а не ключом: нужен пароль")
        raise NoIdentityMatched("неверный пароль")
    counts = {t: types.count(t) for t in dict.fromkeys(types)}
    described = ", ".join(t if n == 1 else f"{t} ×{n}" for t, n in counts.items())
    raise NoIdentityMatched(f"ни один из данных ключей не подходит к файлу (файл зашифрован для: {described}) "
                            "— неверный ключ или пароль, либо повреждён заголовок")


# ----------------------------------------------------------------------------------------------- payload


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _EncryptWriter(io.BufferedIOBase):
    """STREAM writer: holds back at most one chunk, because the last chunk must carry the final flag."""

    def __init__(self, dst: BinaryIO, aead: ChaCha20Poly1305) -> None:
        super().__init__()
        self._dst = dst
        self._aead = aead
        self._pending = bytearray()
        self._counter = 0
        self._finished = False
        self._aborted = False

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed or self._finished or self._aborted:
            raise ValueError("запись в закрытый поток шифрования")
        view = memoryview(data).cast("B")
        size = len(view)
        pos = 0
        if self._pending:
            pos = min(CHUNK_SIZE - len(self._pending), size)
            self._pending += view[:pos]
            if pos == size:
                return size  # a full pending chunk may still be the last one
            self._emit(self._pending, last=False)
            self._pending = bytearray()
        while size - pos > CHUNK_SIZE:  # strictly more than a chunk left: this one is not the last
            self._emit(view[pos : pos + CHUNK_SIZE], last=False)
            pos += CHUNK_SIZE
        self._pending += view[pos:]
        return size

    def _emit(self, plaintext: bytes | bytearray | memoryview, last: bool) -> None:
        if self._counter >= _MAX_COUNTER:
            raise AgeError("файл слишком велик для формата age")
        ciphertext = self._aead.encrypt(_chunk_nonce(self._counter, last), plaintext, None)
        self._counter += 1
        _write_all(self._dst, ciphertext)

    def _finish(self) -> None:
        if self._finished or self._aborted:
            return
        self._emit(self._pending, last=True)
        self._pending = bytearray()
        self._finished = True
        flush = getattr(self._dst, "flush", None)
        if flush is not None:
            flush()

    def _abort(self) -> None:
        self._aborted = True
        self._pending = bytearray()

    def flush(self) -> None:
        pass  # a partial chunk cannot be written before more data or the end is known

    def close(self) -> None:
        """Closing writes the final chunk (unless aborted); the destination stays open."""
        if not self.closed:
            try:
                self._finish()
            finally:
                super().close()


def _write_all(dst: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = dst.write(view)
        if written is None or written >= len(view):
            return
        view = view[written:]


class DecryptReader(io.BufferedIOBase):
    """STREAM reader: releases a chunk's plaintext only after it authenticates.

    Keeps one encrypted chunk of look-ahead (to know whether a chunk must be the last) and one decrypted
    chunk: memory stays around 200 KiB whatever the file size. Errors are sticky.
    """

    def __init__(self, src: BinaryIO, leftover: bytes, file_key: bytes) -> None:
        super().__init__()
        self._src = src
        self._leftover = leftover
        self._counter = 0
        self._next: bytes | None = None
        self._plain = memoryview(b"")
        self._eof = False
        self._error: PayloadError | None = None
        self._pending_error: PayloadError | None = None
        nonce = self._read_exact(STREAM_NONCE_SIZE)
        if len(nonce) != STREAM_NONCE_SIZE:
            raise PayloadError(0, "файл обрывается сразу после заголовка — он усечён")
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))

    # -- io plumbing

    def readable(self) -> bool:
        return True

    def _read_exact(self, size: int) -> bytes:
        parts = []
        if self._leftover:
            head, self._leftover = self._leftover[:size], self._leftover[size:]
            parts.append(head)
            size -= len(head)
        while size > 0:
            data = self._src.read(size)
            if not data:
                break
            parts.append(data)
            size -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # -- chunks

    def _fill(self) -> bool:
        """Make decrypted bytes available; False at the authenticated end of the file."""
        while not self._plain:
            if self._error is not None:
                raise self._error
            if self._pending_error is not None:
                self._error, self._pending_error = self._pending_error, None
                raise self._error
            if self._eof:
                return False
            try:
                self._advance()
            except PayloadError as exc:
                self._error = exc
                raise
        return True

    def _fill_or_stop(self, have_data: bool) -> bool:
        """Like _fill, but when authentic bytes are already gathered for the caller, hand them over first:
        the error (sticky) is raised by the next call."""
        if have_data and not self._plain and (self._error or self._pending_error):
            return False
        try:
            return self._fill()
        except PayloadError:
            if have_data:
                return False
            raise

    def _advance(self) -> None:
        index = self._counter
        if index >= _MAX_COUNTER:
            raise PayloadError(index, "файл слишком велик для формата age")
        current = self._next if self._next is not None else self._read_exact(ENCRYPTED_CHUNK_SIZE)
        following = self._read_exact(ENCRYPTED_CHUNK_SIZE) if len(current) == ENCRYPTED_CHUNK_SIZE else b""
        self._next = following
        self._counter += 1
        where = f"блок {index} (смещение {index * CHUNK_SIZE} байт открытого текста)"
        if not current:
            raise PayloadError(index, "после заголовка нет зашифрованных данных — файл усечён")
        if not following:  # this must be the final chunk
            plain = self._open(index, current, last=True)
            if plain is not None:
                if not plain and index > 0:
                    raise PayloadError(index, f"{where}: пустой последний блок не по формату — файл изменён")
                self._plain = memoryview(plain)
                self._eof = True
                return
            if len(current) == ENCRYPTED_CHUNK_SIZE:
                plain = self._open(index, current, last=False)
                if plain is not None:  # authentic, but the file stops at a chunk boundary
                    self._plain = memoryview(plain)
                    self._pending_error = PayloadError(
                        index + 1, f"файл обрывается после блока {index}: нет последнего блока — файл усечён")
                    return
                raise PayloadError(index, f"{where}: не прошёл проверку подлинности — данные повреждены, "
                                          "переставлены или файл усечён")
            raise PayloadError(index, f"{where}: не прошёл проверку подлинности — данные повреждены, файл "
                                      "усечён или к нему что-то дописано")
        plain = self._open(index, current, last=False)
        if plain is not None:
            self._plain = memoryview(plain)
            return
        plain = self._open(index, current, last=True)
        if plain is not None:  # a genuine final chunk, followed by bytes that do not belong to the file
            self._plain = memoryview(plain)
            self._eof = True
            self._pending_error = PayloadError(
                index + 1, f"после последнего блока ({index}) идут лишние данные — к файлу что-то дописано")
            return
        raise PayloadError(index, f"{where}: не прошёл проверку подлинности — данные повреждены или блоки "
                                  "переставлены")

    def _open(self, index: int, chunk: bytes, last: bool) -> bytes | None:
        if len(chunk) < TAG_SIZE:
            return None
        try:
            return self._aead.decrypt(_chunk_nonce(index, last), chunk, None)
        except InvalidTag:
            return None

    # -- reading

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        if size is None or size < 0:
            return self.readall()
        parts: list[bytes | memoryview] = []
        while size > 0 and self._fill_or_stop(bool(parts)):
            take = min(size, len(self._plain))
            parts.append(self._plain[:take])
            self._plain = self._plain[take:]
            size -= take
        return b"".join(parts)

    def read1(self, size: int = -1) -> bytes:
        self._check_open()
        if not self._fill():
            return b""
        take = len(self._plain) if size < 0 else min(size, len(self._plain))
        out = bytes(self._plain[:take])
        self._plain = self._plain[take:]
        return out

    def readall(self) -> bytes:
        self._check_open()
        parts: list[bytes | memoryview] = []
        while self._fill():
            parts.append(self._plain)
            self._plain = memoryview(b"")
        return b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._check_open()
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self._fill_or_stop(filled > 0):
            take = min(len(view) - filled, len(self._plain))
            view[filled : filled + take] = self._plain[:take]
            self._plain = self._plain[take:]
            filled += take
        return filled

    def readinto1(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._check_open()
        view = memoryview(buffer).cast("B")
        if not view or not self._fill():
            return 0
        take = min(len(view), len(self._plain))
        view[:take] = self._plain[:take]
        self._plain = self._plain[take:]
        return take

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("чтение из закрытого потока расшифровки")

    def close(self) -> None:
        """Releases buffers; the source stays open (it belongs to the caller)."""
        self._plain = memoryview(b"")
        self._next = None
        super().close()


# ----------------------------------------------------------------------------------------------- public API


def _build_header(recipients: Sequence[Recipient]) -> tuple[bytes, bytes]:
    if not recipients:
        raise AgeError("не указан ни один получатель")
    if len(recipients) > MAX_STANZAS:
        raise AgeError(f"слишком много получателей (больше {MAX_STANZAS})")
    file_key = os.urandom(FILE_KEY_SIZE)
    stanzas = [recipient.wrap(file_key) for recipient in recipients]
    if any(s.type == "scrypt" for s in stanzas) and len(stanzas) != 1:
        raise AgeError("файл, зашифрованный паролем, не может иметь других получателей")
    header = INTRO + b"\n" + b"".join(s.encode() for s in stanzas) + b"---"
    mac = _header_mac(file_key, header)
    return header + b" " + _b64encode(mac).encode("ascii") + b"\n", file_key


@contextmanager
def encrypt(dst: BinaryIO, recipients: Sequence[Recipient]) -> Iterator[BinaryIO]:
    """Write an age file to ``dst``; write the plaintext to the yielded stream.

    The final chunk is written when the ``with`` block ends normally (or the stream is closed). If the
    block raises, no final chunk is written, so the partial file never decrypts as complete. ``dst`` is
    flushed but not closed.
    """
    header, file_key = _build_header(recipients)
    nonce = os.urandom(STREAM_NONCE_SIZE)
    _write_all(dst, header + nonce)
    writer = _EncryptWriter(dst, ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload")))
    try:
        yield cast(BinaryIO, writer)
    except BaseException:
        writer._abort()
        writer.close()
        raise
    writer.close()


def decrypt(src: BinaryIO, identities: Sequence[Identity]) -> BinaryIO:
    """Open an age file: the header is parsed and authenticated now, the payload as it is read.

    Raises HeaderError or NoIdentityMatched at once; the returned reader raises PayloadError. Use the
    plaintext only after reading to EOF without an error.
    """
    if not identities:
        raise AgeError("не указан ни один ключ для расшифровки")
    header, leftover = _read_header(src)
    file_key = _unwrap_file_key(header, identities)
    if not hmac.compare_digest(_header_mac(file_key, header.mac_input), header.mac):
        raise HeaderError("заголовок не прошёл проверку подлинности (MAC) — файл изменён или повреждён")
    return cast(BinaryIO, DecryptReader(src, leftover, file_key))


def encrypt_bytes(data: bytes, recipients: Sequence[Recipient]) -> bytes:
    out = io.BytesIO()
    with encrypt(out, recipients) as writer:
        writer.write(data)
    return out.getvalue()


def decrypt_bytes(data: bytes, identities: Sequence[Identity]) -> bytes:
    return decrypt(io.BytesIO(data), identities).read()


def wrap_identity(identity: X25519Identity, passphrase: str) -> bytes:
    """An age-keygen style identity file, encrypted to the passphrase with scrypt at exactly 2^18.

    The standard tool reads it directly: ``age -d -i identity.age backup.age`` asks for the passphrase.
    """
    created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    text = (f"# created: {created}\n"
            f"# public key: {identity.recipient().to_string()}\n"
            f"{identity.to_string()}\n")
    return encrypt_bytes(text.encode("ascii"), [ScryptRecipient(passphrase, work_factor=SCRYPT_WORK_FACTOR)])


def unwrap_identity(blob: bytes, passphrase: str) -> X25519Identity:
    """The X25519 identity stored by :func:`wrap_identity`; NoIdentityMatched on a wrong passphrase."""
    plaintext = decrypt_bytes(blob, [ScryptIdentity(passphrase)])
    identities = [i for i in parse_identities(plaintext) if isinstance(i, X25519Identity)]
    if len(identities) != 1:
        raise AgeError("в зашифрованном файле ключа должен быть ровно один ключ AGE-SECRET-KEY-1…")
    return identities[0]
