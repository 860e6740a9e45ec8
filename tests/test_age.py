"""The age v1 implementation: round trips, the community test vectors, files made by the reference tool,
and every fault the backup issue names (header and chunk bit flips, truncation at and between chunk
boundaries, trailing garbage, reordered chunks, wrong keys and passphrases, excessive scrypt work).

Small scrypt work factors are used only where a test is about something else; the test of
``wrap_identity`` checks that the stored identity uses exactly 2^18.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
from pathlib import Path
from typing import cast

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from zhurnal.core.backup import age
from zhurnal.core.backup.age import (
    CHUNK_SIZE,
    AgeError,
    HeaderError,
    NoIdentityMatched,
    PayloadError,
    ScryptIdentity,
    ScryptRecipient,
    SshEd25519Identity,
    SshEd25519Recipient,
    Stanza,
    X25519Identity,
    X25519Recipient,
    decrypt,
    decrypt_bytes,
    encrypt,
    encrypt_bytes,
    parse_identities,
    parse_recipient,
    unwrap_identity,
    wrap_identity,
)

DATA = Path(__file__).parent / "data" / "age"
ENC_CHUNK = CHUNK_SIZE + 16
SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536]
FAST = 10  # scrypt work factor for tests that are not about the work factor


def pattern(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(seed.to_bytes(4, "big")).digest() + bytes(range(256))
    return (block * (size // len(block) + 1))[:size]


def ssh_key_pem() -> bytes:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def x_id() -> X25519Identity:
    return X25519Identity.generate()


@pytest.fixture(scope="module")
def ssh_id() -> SshEd25519Identity:
    return SshEd25519Identity.from_openssh(ssh_key_pem())


def payload_start(blob: bytes) -> int:
    """Offset of the first chunk (after the header and the 16-byte nonce)."""
    mac_line = blob.index(b"\n--- ") + 1
    return blob.index(b"\n", mac_line) + 1 + 16


def read_until_error(blob: bytes, identities: list, step: int = 10_000) -> tuple[bytes, AgeError | None]:
    """Everything the reader releases before it raises, and the error (None on a clean EOF)."""
    released = bytearray()
    try:
        reader = decrypt(io.BytesIO(blob), identities)
        while True:
            data = reader.read(step)
            if not data:
                return bytes(released), None
            released += data
    except AgeError as exc:
        return bytes(released), exc


# ----------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_x25519(x_id: X25519Identity, size: int) -> None:
    data = pattern(size)
    blob = encrypt_bytes(data, [x_id.recipient()])
    assert decrypt_bytes(blob, [x_id]) == data
    chunks = max(1, -(-size // CHUNK_SIZE))
    assert len(blob) == payload_start(blob) + size + 16 * chunks


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_ssh_ed25519(ssh_id: SshEd25519Identity, size: int) -> None:
    data = pattern(size, 1)
    recipient = SshEd25519Recipient.from_string(ssh_id.recipient().to_string())
    blob = encrypt_bytes(data, [recipient])
    assert blob.split(b"\n")[1].startswith(b"-> ssh-ed25519 ")
    assert decrypt_bytes(blob, [ssh_id]) == data


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_scrypt(size: int) -> None:
    data = pattern(size, 2)
    blob = encrypt_bytes(data, [ScryptRecipient("пароль школы", work_factor=FAST)])
    assert decrypt_bytes(blob, [ScryptIdentity("пароль школы")]) == data


def test_multiple_recipients(x_id: X25519Identity, ssh_id: SshEd25519Identity) -> None:
    other = X25519Identity.generate()
    data = pattern(70_000, 3)
    blob = encrypt_bytes(data, [other.recipient(), x_id.recipient(), ssh_id.recipient()])
    assert blob.count(b"\n-> ") == 3
    for identity in (other, x_id, ssh_id):
        assert decrypt_bytes(blob, [identity]) == data
    stranger = X25519Identity.generate()
    assert decrypt_bytes(blob, [stranger, ScryptIdentity("x"), ssh_id]) == data


def test_header_layout(x_id: X25519Identity) -> None:
    blob = encrypt_bytes(b"hello", [x_id.recipient()])
    lines = blob[: payload_start(blob) - 16].decode("ascii").split("\n")
    assert lines[0] == "age-encryption.org/v1"
    arrow, kind, share = lines[1].split(" ")
    assert (arrow, kind, len(share)) == ("->", "X25519", 43)
    assert len(lines[2]) == 43  # 32-byte wrapped key, unpadded base64
    assert lines[3].startswith("--- ") and len(lines[3]) == 4 + 43 and "=" not in lines[3]
    assert lines[4] == ""


@pytest.mark.parametrize(("body_len", "expected_lines"), [(0, [""]), (1, ["AA"]), (47, ["A" * 63]),
                                                          (48, ["A" * 64, ""]), (96, ["A" * 64] * 2 + [""]),
                                                          (100, ["A" * 64] * 2 + ["AAAAAA"])])
def test_stanza_body_wrapping(body_len: int, expected_lines: list[str]) -> None:
    encoded = Stanza("test", ("a", "b"), bytes(body_len)).encode().decode("ascii")
    assert encoded == "\n".join(["-> test a b", *expected_lines]) + "\n"


class _PaddedRecipient:
    """A custom stanza type whose body is `pad` bytes plus the file key, to exercise body parsing."""

    def __init__(self, pad: int) -> None:
        self.pad = pad

    def wrap(self, file_key: bytes) -> Stanza:
        return Stanza("example.org/padded", (str(self.pad),), bytes(self.pad) + file_key)


class _PaddedIdentity:
    def unwrap(self, stanza: Stanza) -> bytes | None:
        if stanza.type != "example.org/padded":
            return None
        return stanza.body[int(stanza.args[0]):]


@pytest.mark.parametrize("pad", [0, 16, 32, 80, 500])
def test_custom_stanza_bodies_parse(pad: int) -> None:
    """Bodies that end exactly on a 64-column line (16+32, 80+16 bytes) need the empty last line."""
    blob = encrypt_bytes(b"payload", [_PaddedRecipient(pad)])
    if (pad + 16) % 48 == 0:
        assert b"\n\n---" in blob
    assert decrypt_bytes(blob, [_PaddedIdentity()]) == b"payload"


def test_streaming_irregular_writes_and_reads(x_id: X25519Identity) -> None:
    data = pattern(5 * CHUNK_SIZE + 12_345, 4)
    out = io.BytesIO()
    with encrypt(out, [x_id.recipient()]) as writer:
        pos = 0
        for size in [1, 7, CHUNK_SIZE - 8, CHUNK_SIZE, 3, 2 * CHUNK_SIZE + 100, 10**6]:
            writer.write(memoryview(data)[pos : pos + size])
            pos += size
    blob = out.getvalue()
    assert decrypt_bytes(blob, [x_id]) == data

    reader = cast(age.DecryptReader, decrypt(io.BytesIO(blob), [x_id]))
    got = bytearray()
    got += reader.read(1)
    got += reader.read(CHUNK_SIZE)  # spans two chunks
    buf = bytearray(70_000)
    got += buf[: reader.readinto(buf)]
    got += reader.read1(10)
    got += reader.read()
    assert bytes(got) == data
    assert reader.read() == b"" and reader.read(10) == b""


def test_close_finishes_and_abort_does_not(x_id: X25519Identity) -> None:
    out = io.BytesIO()
    with encrypt(out, [x_id.recipient()]) as writer:
        writer.write(b"abc")
        writer.close()
        with pytest.raises(ValueError):
            writer.write(b"more")
    assert decrypt_bytes(out.getvalue(), [x_id]) == b"abc"

    out = io.BytesIO()
    with pytest.raises(RuntimeError), encrypt(out, [x_id.recipient()]) as writer:
        writer.write(pattern(3 * CHUNK_SIZE))
        raise RuntimeError("interrupted")
    released, error = read_until_error(out.getvalue(), [x_id])
    assert isinstance(error, PayloadError)  # an interrupted file never decrypts as complete
    assert len(released) <= 2 * CHUNK_SIZE


class _Recorder(io.RawIOBase):
    """A destination or source that records how much passed through it."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.pos = 0
        self.largest_read = 0

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size)
        end = len(self.data) if size < 0 else self.pos + size
        chunk = bytes(self.data[self.pos : end])
        self.pos += len(chunk)
        return chunk


def test_memory_is_bounded(x_id: X25519Identity) -> None:
    dst = _Recorder()
    data = pattern(20 * CHUNK_SIZE, 5)
    with encrypt(dst, [x_id.recipient()]) as writer:  # type: ignore[arg-type]
        header = len(dst.data)
        for i in range(0, len(data), 100_000):
            writer.write(data[i : i + 100_000])
            written_plain = i + len(data[i : i + 100_000])
            # everything but at most one chunk has already gone out
            assert (len(dst.data) - header) // ENC_CHUNK * CHUNK_SIZE >= written_plain - CHUNK_SIZE
            assert len(writer._pending) <= CHUNK_SIZE  # type: ignore[attr-defined]
    src = _Recorder(bytes(dst.data))
    reader = decrypt(src, [x_id])  # type: ignore[arg-type]
    released = 0
    while block := reader.read(4096):
        released += len(block)
        assert src.pos - released <= 3 * ENC_CHUNK + 4096 + header  # look-ahead stays within a few chunks
    assert released == len(data)
    assert src.largest_read <= ENC_CHUNK


def test_no_recipients_or_identities() -> None:
    with pytest.raises(AgeError):
        encrypt_bytes(b"x", [])
    blob = encrypt_bytes(b"x", [X25519Identity.generate().recipient()])
    with pytest.raises(AgeError):
        decrypt_bytes(blob, [])


# ----------------------------------------------------------------------------------------------- test vectors


def _load_vector(path: Path) -> tuple[dict[str, str], list, bytes]:
    meta_text, body = path.read_bytes().split(b"\n\n", 1)
    meta: dict[str, str] = {}
    identities: list = []
    for line in meta_text.decode().splitlines():
        key, value = line.split(": ", 1)
        if key == "identity":
            identities.append(X25519Identity.from_string(value))
        elif key == "passphrase":
            identities.append(ScryptIdentity(value))
        else:
            meta[key] = value
    if meta.get("armored") == "yes":
        lines = [line.strip() for line in body.decode().strip().splitlines()]
        assert lines[0] == "-----BEGIN AGE ENCRYPTED FILE-----" and lines[-1] == "-----END AGE ENCRYPTED FILE-----"
        body = base64.b64decode("".join(lines[1:-1]))
    return meta, identities, body


EXPECTED = {"success": None, "no match": NoIdentityMatched, "HMAC failure": HeaderError,
            "header failure": HeaderError, "payload failure": PayloadError}


@pytest.mark.parametrize("path", sorted((DATA / "testkit").iterdir()), ids=lambda p: p.name)
def test_community_vectors(path: Path) -> None:
    meta, identities, body = _load_vector(path)
    released, error = read_until_error(body, identities)
    expected = EXPECTED[meta["expect"]]
    if expected is None:
        assert error is None, error
    else:
        assert type(error) is expected, error
    if "payload" in meta:
        assert hashlib.sha256(released).hexdigest() == meta["payload"]


def test_files_made_by_age_x25519() -> None:
    identities = parse_identities((DATA / "by_age" / "x25519_identity.txt").read_text())
    assert identities[0].recipient().to_string() == (DATA / "by_age" / "x25519_recipient.txt").read_text().strip()
    assert decrypt_bytes((DATA / "by_age" / "x25519.age").read_bytes(), identities) == pattern_age(65636)


def test_files_made_by_age_ssh_ed25519() -> None:
    identity = SshEd25519Identity.from_openssh((DATA / "by_age" / "ssh_ed25519_key").read_bytes())
    public = (DATA / "by_age" / "ssh_ed25519_key.pub").read_text()
    assert identity.recipient() == parse_recipient(public)
    assert parse_recipient(public).to_string() == public.strip()  # the comment is kept
    assert decrypt_bytes((DATA / "by_age" / "ssh_ed25519.age").read_bytes(), [identity]) == pattern_age(1000)


def test_files_made_by_age_scrypt_and_stored_identity() -> None:
    blob = (DATA / "by_age" / "scrypt.age").read_bytes()
    assert decrypt_bytes(blob, [ScryptIdentity("пароль-zhurnal")]) == pattern_age(1000)
    stored = unwrap_identity((DATA / "by_age" / "identity.age").read_bytes(), "пароль-zhurnal")
    assert [stored] == parse_identities((DATA / "by_age" / "x25519_identity.txt").read_text())


def pattern_age(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


# ----------------------------------------------------------------------------------------------- header faults


def _flip_all_header_bytes(blob: bytes, identities: list, masks: tuple[int, ...]) -> set[int]:
    """Flip every header byte (through the MAC line) with each mask; return the header lines touched."""
    end = payload_start(blob) - 16
    lines_touched: set[int] = set()
    for pos in range(end):
        for mask in masks:
            damaged = bytearray(blob)
            damaged[pos] ^= mask
            with pytest.raises(AgeError) as caught:
                decrypt(io.BytesIO(bytes(damaged)), identities).read()
            assert not isinstance(caught.value, PayloadError), (pos, mask, caught.value)
            lines_touched.add(blob[:pos].count(b"\n"))
    return lines_touched


def test_every_header_byte_flip_is_refused_x25519(x_id: X25519Identity, ssh_id: SshEd25519Identity) -> None:
    blob = encrypt_bytes(pattern(1000), [x_id.recipient(), ssh_id.recipient()])
    header_lines = blob[: payload_start(blob) - 16].count(b"\n")
    touched = _flip_all_header_bytes(blob, [x_id, ssh_id], (0x01, 0x20, 0x80))
    assert touched == set(range(header_lines))  # intro, both stanzas (line and body), MAC line


def test_every_header_byte_flip_is_refused_scrypt() -> None:
    blob = encrypt_bytes(pattern(1000), [ScryptRecipient("pw", work_factor=FAST)])
    _flip_all_header_bytes(blob, [ScryptIdentity("pw")], (0x01,))


def test_added_stanza_breaks_the_mac(x_id: X25519Identity) -> None:
    blob = encrypt_bytes(b"data", [x_id.recipient()])
    tampered = blob.replace(b"\n---", b"\n-> grease extra\n\n---", 1)
    with pytest.raises(HeaderError, match="MAC"):
        decrypt_bytes(tampered, [x_id])


def _variant(blob: bytes, old: bytes, new: bytes) -> bytes:
    assert old in blob
    return blob.replace(old, new, 1)


def test_malformed_headers(x_id: X25519Identity) -> None:
    blob = encrypt_bytes(b"data", [x_id.recipient()])
    lines = blob[: payload_start(blob) - 16].split(b"\n")
    share_line, body_line, mac_line = lines[1], lines[2], lines[3]
    cases = {
        "crlf": blob.replace(b"\n", b"\r\n", 1),
        "padding": _variant(blob, body_line, body_line + b"="),
        "long body line": _variant(blob, body_line, body_line + b"A" * 30),
        "mac extra space": _variant(blob, mac_line, mac_line.replace(b"--- ", b"---  ")),
        "mac no space": _variant(blob, mac_line, mac_line.replace(b"--- ", b"---")),
        "mac missing": _variant(blob, mac_line + b"\n", b"---\n"),
        "mac trailing space": _variant(blob, mac_line, mac_line + b" "),
        "mac truncated": _variant(blob, mac_line, mac_line[:-1]),
        "stanza trailing space": _variant(blob, share_line, share_line + b" "),
        "stanza no type": _variant(blob, share_line, b"->"),
        "missing body": _variant(blob, body_line + b"\n", b""),
        "unknown line": _variant(blob, share_line, b"X25519 " + share_line[10:]),
    }
    for name, damaged in cases.items():
        with pytest.raises(HeaderError):
            decrypt_bytes(damaged, [x_id])
            pytest.fail(name)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "пуст"),
    (b"hello world, this is not age\n", "не файл age"),
    (b"\x1f\x8b\x08\x00 gzip", "не файл age"),
    (b"age-encryption.org/v2\n-> X\n\n--- A\n", "версия"),
    (b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n", "брон"),
    (b"age-encryption.org/v1\n-> X25519 abc\n", "обрывается"),
])
def test_not_an_age_file(content: bytes, message: str, x_id: X25519Identity) -> None:
    with pytest.raises(HeaderError, match=message):
        decrypt_bytes(content, [x_id])


def test_header_size_limits(x_id: X25519Identity) -> None:
    intro = b"age-encryption.org/v1\n"
    src = _Recorder(intro + b"-> " + b"a" * (200 * 1024))
    with pytest.raises(HeaderError, match="64"):
        decrypt(src, [x_id])  # type: ignore[arg-type]
    assert src.pos <= 64 * 1024 + 4096  # stopped reading at the limit

    big_body = intro + b"-> big\n" + (b"A" * 64 + b"\n") * 30 + b"\n--- " + b"A" * 43 + b"\n"
    with pytest.raises(HeaderError, match="1024"):
        decrypt_bytes(big_body, [x_id])

    many = intro + b"-> grease\n\n" * 65 + b"--- " + b"A" * 43 + b"\n"
    with pytest.raises(HeaderError, match="64 записей"):
        decrypt_bytes(many, [x_id])


# ----------------------------------------------------------------------------------------------- payload faults


@pytest.fixture(scope="module")
def four_chunks(x_id: X25519Identity) -> tuple[bytes, bytes]:
    data = pattern(3 * CHUNK_SIZE + 100, 6)
    return data, encrypt_bytes(data, [x_id.recipient()])


def test_flipped_payload_bytes(x_id: X25519Identity, four_chunks: tuple[bytes, bytes]) -> None:
    data, blob = four_chunks
    start = payload_start(blob)
    positions = [(start - 16, 0), (start - 1, 0)]  # the stream nonce: every chunk key changes
    for chunk in range(4):
        first = start + chunk * ENC_CHUNK
        last = min(first + ENC_CHUNK, len(blob)) - 1
        positions += [(first, chunk), ((first + last) // 2, chunk), (last - 16, chunk), (last, chunk)]
    for pos, chunk in positions:
        damaged = bytearray(blob)
        damaged[pos] ^= 0x04
        released, error = read_until_error(bytes(damaged), [x_id])
        assert isinstance(error, PayloadError), pos
        assert error.chunk == chunk, (pos, error)
        assert released == data[: chunk * CHUNK_SIZE]  # nothing from the bad chunk was released


@pytest.mark.parametrize("size", [3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 100])
def test_truncation_at_and_between_chunk_boundaries(x_id: X25519Identity, size: int) -> None:
    data = pattern(size, 7)
    blob = encrypt_bytes(data, [x_id.recipient()])
    start = payload_start(blob)
    cuts = {start - 16: 0, start - 1: 0, start: 0}  # inside or right after the nonce: no payload at all
    for k in range(4):
        boundary = start + k * ENC_CHUNK
        if boundary >= len(blob):
            break
        if k:
            cuts[boundary] = k  # exactly at a boundary: every chunk before it is fine, the next is missing
        for offset in (1, 15, 16, 17, ENC_CHUNK // 2, ENC_CHUNK - 1):
            if boundary + offset < len(blob):
                cuts[boundary + offset] = k
    cuts[len(blob) - 1] = (len(blob) - start - 1) // ENC_CHUNK
    for cut, chunk in sorted(cuts.items()):
        released, error = read_until_error(blob[:cut], [x_id])
        assert isinstance(error, PayloadError), cut
        assert error.chunk == chunk, (cut - start, error)
        assert released == data[: chunk * CHUNK_SIZE]
    for cut in (0, 10, start - 17):  # inside the header
        with pytest.raises(HeaderError):
            decrypt_bytes(blob[:cut], [x_id])


@pytest.mark.parametrize("size", [0, 100, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 100])
@pytest.mark.parametrize("extra", [b"\x00", b"garbage" * 3, bytes(ENC_CHUNK), bytes(ENC_CHUNK + 1)])
def test_appended_garbage(x_id: X25519Identity, size: int, extra: bytes) -> None:
    data = pattern(size, 8)
    blob = encrypt_bytes(data, [x_id.recipient()])
    released, error = read_until_error(blob + extra, [x_id])
    assert isinstance(error, PayloadError)
    assert data.startswith(released)


def test_appended_full_chunk_after_full_final_chunk_is_named(x_id: X25519Identity) -> None:
    data = pattern(2 * CHUNK_SIZE, 9)
    blob = encrypt_bytes(data, [x_id.recipient()])
    start = payload_start(blob)
    released, error = read_until_error(blob + blob[start : start + ENC_CHUNK], [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 2
    assert "лишние данные" in str(error)
    assert released == data  # the file itself was intact, but the caller still gets the error


def test_reordered_dropped_duplicated_chunks(x_id: X25519Identity, four_chunks: tuple[bytes, bytes]) -> None:
    data, blob = four_chunks
    start = payload_start(blob)
    head = blob[:start]
    chunks = [blob[start + i * ENC_CHUNK : start + (i + 1) * ENC_CHUNK] for i in range(4)]
    variants = {
        "swap 0-1": ([chunks[1], chunks[0], chunks[2], chunks[3]], 0),
        "swap 1-2": ([chunks[0], chunks[2], chunks[1], chunks[3]], 1),
        "swap 2-3": ([chunks[0], chunks[1], chunks[3], chunks[2]], 2),
        "drop 1": ([chunks[0], chunks[2], chunks[3]], 1),
        "drop last": (chunks[:3], 3),
        "duplicate 1": ([chunks[0], chunks[1], chunks[1], chunks[2], chunks[3]], 2),
    }
    for name, (order, bad) in variants.items():
        released, error = read_until_error(head + b"".join(order), [x_id])
        assert isinstance(error, PayloadError), name
        assert error.chunk == bad, (name, error)
        assert released == data[: bad * CHUNK_SIZE], name


def _craft(x_id: X25519Identity, chunks: list[tuple[bytes, bool]]) -> bytes:
    """A file with hand-chosen chunks (plaintext, final flag), properly encrypted."""
    header, file_key = age._build_header([x_id.recipient()])
    nonce = os.urandom(16)
    aead = ChaCha20Poly1305(age._hkdf(file_key, nonce, b"payload"))
    body = b"".join(aead.encrypt(age._chunk_nonce(i, last), plain, None) for i, (plain, last) in enumerate(chunks))
    return header + nonce + body


def test_stream_rules(x_id: X25519Identity) -> None:
    full = pattern(CHUNK_SIZE, 10)
    assert decrypt_bytes(_craft(x_id, [(b"", True)]), [x_id]) == b""
    assert decrypt_bytes(_craft(x_id, [(full, False), (b"x", True)]), [x_id]) == full + b"x"

    released, error = read_until_error(_craft(x_id, [(full, False), (b"", True)]), [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 1 and "пустой" in str(error)
    assert released == full

    released, error = read_until_error(_craft(x_id, [(b"short", False), (b"x", True)]), [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 0  # a non-final chunk must be full

    released, error = read_until_error(_craft(x_id, [(full, True), (b"x", True)]), [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 1  # nothing may follow the final chunk

    released, error = read_until_error(_craft(x_id, [(full, False)]), [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 1 and "усечён" in str(error)

    released, error = read_until_error(_craft(x_id, []), [x_id])
    assert isinstance(error, PayloadError) and error.chunk == 0


def test_payload_errors_are_sticky(x_id: X25519Identity, four_chunks: tuple[bytes, bytes]) -> None:
    _, blob = four_chunks
    damaged = bytearray(blob)
    damaged[payload_start(blob) + 5] ^= 1
    src = io.BytesIO(bytes(damaged))
    reader = decrypt(src, [x_id])
    for _ in range(2):
        with pytest.raises(PayloadError):
            reader.read(10)
    reader.close()
    assert not src.closed  # the caller's stream stays open


# ----------------------------------------------------------------------------------------------- keys and passphrases


def test_wrong_identity_and_passphrase(x_id: X25519Identity, ssh_id: SshEd25519Identity) -> None:
    blob = encrypt_bytes(b"secret", [x_id.recipient(), ssh_id.recipient()])
    with pytest.raises(NoIdentityMatched, match="X25519, ssh-ed25519"):
        decrypt_bytes(blob, [X25519Identity.generate(), SshEd25519Identity.from_openssh(ssh_key_pem())])
    with pytest.raises(NoIdentityMatched):
        decrypt_bytes(blob, [ScryptIdentity("secret")])

    blob = encrypt_bytes(b"secret", [ScryptRecipient("правильный", work_factor=FAST)])
    with pytest.raises(NoIdentityMatched, match="неверный пароль"):
        decrypt_bytes(blob, [ScryptIdentity("неправильный")])
    with pytest.raises(NoIdentityMatched, match="паролем"):
        decrypt_bytes(blob, [x_id])


def test_scrypt_work_factor_above_max_is_refused_without_computing() -> None:
    blob = encrypt_bytes(b"secret", [ScryptRecipient("pw", work_factor=16)])
    started = time.monotonic()
    with pytest.raises(HeaderError, match="2\\^16"):
        decrypt_bytes(blob, [ScryptIdentity("pw", max_work_factor=15)])
    assert time.monotonic() - started < 0.1  # refused before running scrypt
    assert decrypt_bytes(blob, [ScryptIdentity("pw", max_work_factor=16)]) == b"secret"


def test_scrypt_must_be_alone(x_id: X25519Identity) -> None:
    with pytest.raises(AgeError, match="паролем"):
        encrypt_bytes(b"x", [ScryptRecipient("pw", work_factor=FAST), x_id.recipient()])
    scrypt_blob = encrypt_bytes(b"x", [ScryptRecipient("pw", work_factor=FAST)])
    stanza = scrypt_blob.split(b"\n")[1:3]
    x_blob = encrypt_bytes(b"x", [x_id.recipient()])
    mixed = x_blob.replace(b"\n---", b"\n" + b"\n".join(stanza) + b"\n---", 1)
    with pytest.raises(HeaderError, match="единственной"):
        decrypt_bytes(mixed, [x_id, ScryptIdentity("pw")])
    with pytest.raises(AgeError):
        ScryptRecipient("")
    with pytest.raises(AgeError):
        ScryptRecipient("pw", work_factor=23)


@pytest.fixture(scope="module")
def wrapped(x_id: X25519Identity) -> bytes:
    return wrap_identity(x_id, "пароль администратора")


def test_wrap_identity_uses_work_factor_18(x_id: X25519Identity, wrapped: bytes) -> None:
    blob = wrapped
    lines = blob.split(b"\n")
    assert lines[0] == b"age-encryption.org/v1"
    arrow, kind, salt, work_factor = lines[1].decode().split(" ")
    assert (arrow, kind, work_factor) == ("->", "scrypt", "18")
    assert len(base64.b64decode(salt + "==")) == 16
    assert lines[3].startswith(b"--- ")  # the scrypt stanza is the only one

    assert unwrap_identity(blob, "пароль администратора") == x_id
    with pytest.raises(NoIdentityMatched):
        unwrap_identity(blob, "пароль администратора!")


def test_wrap_identity_contents_are_an_identity_file(x_id: X25519Identity, wrapped: bytes) -> None:
    text = decrypt_bytes(wrapped, [ScryptIdentity("пароль администратора")]).decode()
    assert f"# public key: {x_id.recipient().to_string()}\n" in text
    assert parse_identities(text) == [x_id]


# ----------------------------------------------------------------------------------------------- key encodings


def test_bech32_bip173_vectors() -> None:
    for valid in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "?1ezyfcl"]:
        age.bech32_decode(valid)
    for invalid in ["A1G7SGD8", "10a06t8", "1qzzfhee", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\xff", "a12UEL5L",
                    "pzry9x0s0muk", "1pzry9x0s0muk", "abc1rzg"]:
        with pytest.raises(AgeError):
            age.bech32_decode(invalid)


def test_x25519_keys_encode_and_parse(x_id: X25519Identity) -> None:
    secret = x_id.to_string()
    assert secret.startswith("AGE-SECRET-KEY-1") and secret == secret.upper()
    assert X25519Identity.from_string(secret) == x_id
    assert X25519Identity.from_string(secret.lower()) == x_id
    public = x_id.recipient().to_string()
    assert public.startswith("age1") and public == public.lower() and len(public) == 62
    assert X25519Recipient.from_string(public) == x_id.recipient()
    assert secret not in repr(x_id)


def test_every_single_character_typo_is_caught(x_id: X25519Identity) -> None:
    public = x_id.recipient().to_string()
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    for i in range(4, len(public)):
        replacement = charset[(charset.index(public[i]) + 1) % 32]
        with pytest.raises(AgeError, match="контрольная сумма"):
            X25519Recipient.from_string(public[:i] + replacement + public[i + 1 :])
    with pytest.raises(AgeError, match="смешаны"):
        X25519Recipient.from_string(public[:10] + public[10:].upper())
    secret = x_id.to_string()
    with pytest.raises(AgeError, match="контрольная сумма"):
        X25519Identity.from_string(secret[:-1] + ("Q" if secret[-1] != "Q" else "P"))


def test_parse_recipient(x_id: X25519Identity, ssh_id: SshEd25519Identity) -> None:
    assert parse_recipient("  " + x_id.recipient().to_string() + "\n") == x_id.recipient()
    line = ssh_id.recipient().to_string() + " admin@school"
    parsed = parse_recipient(line)
    assert isinstance(parsed, SshEd25519Recipient) and parsed.comment == "admin@school"
    assert parsed.to_string() == line
    failures = {
        x_id.to_string(): "секретный ключ",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user": "ssh-rsa не поддерживаются",
        "ssh-ed25519": "нет самого ключа",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH==": "ssh-ed25519",
        "ssh-ed25519 " + base64.b64encode(b"\0\0\0\7ssh-rsa\0\0\0\3\1\0\1").decode(): "структура",
        "age1qqqq": "Bech32",
        "": "не указан",
        "hello": "не ключ получателя",
    }
    for text, message in failures.items():
        with pytest.raises(AgeError, match=message):
            parse_recipient(text)
    identity_as_recipient = X25519Identity.generate().to_string()
    with pytest.raises(AgeError) as caught:
        parse_recipient(identity_as_recipient)
    assert identity_as_recipient not in str(caught.value)  # never echo a secret


def test_parse_identities(x_id: X25519Identity) -> None:
    other = X25519Identity.generate()
    text = f"# created: 2026-11-28\n# public key: {x_id.recipient()}\n{x_id.to_string()}\n\n  {other.to_string()}  \n"
    assert parse_identities(text) == [x_id, other]
    assert parse_identities(text.encode()) == [x_id, other]
    with pytest.raises(AgeError, match="строка 2") as caught:
        parse_identities(f"{x_id.to_string()}\nsomething secret\n")
    assert "something secret" not in str(caught.value)
    with pytest.raises(AgeError, match="нет ни одного"):
        parse_identities("# only a comment\n\n")
    with pytest.raises(AgeError, match="зашифрован"):
        parse_identities(wrap_identity_fast(x_id))


def wrap_identity_fast(identity: X25519Identity) -> bytes:
    return encrypt_bytes(identity.to_string().encode(), [ScryptRecipient("pw", work_factor=FAST)])


def test_ssh_identities() -> None:
    pem = ssh_key_pem()
    (identity,) = parse_identities(b"\n" + pem)
    assert isinstance(identity, SshEd25519Identity)
    assert decrypt_bytes(encrypt_bytes(b"x", [identity.recipient()]), [identity]) == b"x"

    with pytest.raises(AgeError, match="паролем"):
        SshEd25519Identity.from_openssh((DATA / "by_age" / "ssh_ed25519_encrypted_key").read_bytes())
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    with pytest.raises(AgeError, match="ssh-ed25519"):
        parse_identities(rsa_pem)
    with pytest.raises(AgeError, match="OpenSSH"):
        SshEd25519Identity.from_openssh(b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----")
    with pytest.raises(AgeError, match="ssh-ed25519"):
        parse_identities("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")


def test_ed25519_to_x25519_matches_the_private_side() -> None:
    """u = (1 + y) / (1 - y) on the public key equals X25519(clamp(SHA-512(seed)[:32]), 9)."""
    for _ in range(20):
        key = ed25519.Ed25519PrivateKey.generate()
        scalar = bytearray(hashlib.sha512(key.private_bytes_raw()).digest()[:32])
        scalar[0] &= 248
        scalar[31] = (scalar[31] & 127) | 64
        assert age._ed25519_to_x25519(key.public_key().public_bytes_raw()) == age._x25519_public(bytes(scalar))


def test_ssh_stanza_tag_is_sha256_of_wire_key(ssh_id: SshEd25519Identity) -> None:
    blob = encrypt_bytes(b"x", [ssh_id.recipient()])
    _, _, tag, share = blob.split(b"\n")[1].decode().split(" ")
    wire = ssh_id.recipient().wire
    assert wire == base64.b64decode(ssh_id.recipient().to_string().split()[1])
    assert tag == base64.b64encode(hashlib.sha256(wire).digest()[:4]).decode().rstrip("=")
    assert len(base64.b64decode(share + "=")) == 32


def test_low_order_points_are_refused(x_id: X25519Identity) -> None:
    with pytest.raises(AgeError, match="малого порядка"):
        encrypt_bytes(b"x", [X25519Recipient(bytes(32))])
    blob = encrypt_bytes(b"x", [x_id.recipient()])
    share = blob.split(b"\n")[1].split(b" ")[2]
    zero_share = base64.b64encode(bytes(32)).rstrip(b"=")
    with pytest.raises(HeaderError, match="малого порядка"):
        decrypt_bytes(blob.replace(share, zero_share, 1), [x_id])

