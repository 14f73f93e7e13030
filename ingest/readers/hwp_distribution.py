"""배포용 (distribution) HWP 5 documents: their text is in ``ViewText/Section*``, AES-encrypted.

Public bodies publish documents in this form. Its ``BodyText`` holds only a placeholder ("이 문서는 상위 버전의
배포용 문서입니다…"); each ``ViewText`` section stream starts with a 256-byte HWPTAG_DISTRIBUTE_DOC_DATA record
that carries the AES-128 key, scrambled with MSVC's ``rand()`` seeded by its first four bytes, and the rest of the
stream is the section, compressed as ``BodyText`` is and encrypted with AES-128-ECB. No password is involved
(Hancom's HWP 5.0 format document, "배포용 문서"). hwp-hwpx-parser reads only ``BodyText``, so the reader below
is that parser with its section source swapped: its paragraph and table handling stays the same.
"""

from __future__ import annotations

import struct
import zlib
from typing import Iterator

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hwp_hwpx_parser.hwp5 import HWP5Reader

DISTRIBUTION_FLAG = 0x04  # FileHeader properties bit 2: 배포용 문서
HWPTAG_DISTRIBUTE_DOC_DATA = 0x10 + 12
PAYLOAD_SIZE = 256
KEY_SIZE = 16
VIEW_TEXT_STREAM = "ViewText/Section{}"


class DistributionError(ValueError):
    """A ViewText stream that does not hold what the format says."""


def is_distribution(file_header: bytes) -> bool:
    """Whether a FileHeader stream marks its document as 배포용."""
    return len(file_header) >= 40 and bool(struct.unpack_from("<I", file_header, 36)[0] & DISTRIBUTION_FLAG)


def msvc_rand(seed: int) -> Iterator[int]:
    """MSVC's ``srand(seed)`` then ``rand()``, ``rand()``, …: the generator the format scrambles with."""
    while True:
        seed = (seed * 214013 + 2531011) & 0xFFFFFFFF
        yield (seed >> 16) & 0x7FFF


def unscramble(payload: bytes) -> bytes:
    """The DISTRIBUTE_DOC_DATA payload with bytes 4..255 XORed by the seeded sequence (its own inverse).

    Each XOR byte is one ``rand()``, used for the next ``rand() % 16 + 1`` bytes."""
    if len(payload) != PAYLOAD_SIZE:
        raise DistributionError(f"distribution record of {len(payload)} bytes, not {PAYLOAD_SIZE}")
    numbers = msvc_rand(struct.unpack_from("<I", payload)[0])
    data, xor, run = bytearray(payload), 0, 0
    for index in range(PAYLOAD_SIZE):
        if run == 0:
            xor, run = next(numbers) & 0xFF, (next(numbers) & 0x0F) + 1
        if index >= 4:
            data[index] ^= xor
        run -= 1
    return bytes(data)


def key_of(payload: bytes) -> bytes:
    """The AES-128 key inside an (unscrambled) payload: 16 bytes at 4 + (first byte mod 16)."""
    data = unscramble(payload)
    start = 4 + (data[0] & 0x0F)
    return data[start:start + KEY_SIZE]


def decrypt_view_text(stream: bytes) -> bytes:
    """A ViewText section stream → the section as BodyText stores it (still compressed when the file is).

    The ciphertext's last partial block, if any, is not part of the section: AES-ECB works in whole blocks."""
    if len(stream) < 4 + PAYLOAD_SIZE:
        raise DistributionError("ViewText stream too short for its distribution record")
    header = struct.unpack_from("<I", stream)[0]
    tag, size = header & 0x3FF, (header >> 20) & 0xFFF
    if tag != HWPTAG_DISTRIBUTE_DOC_DATA or size != PAYLOAD_SIZE:
        raise DistributionError(f"ViewText stream starts with record {tag} of {size} bytes, "
                                f"not the distribution record")
    payload, cipher_text = stream[4:4 + PAYLOAD_SIZE], stream[4 + PAYLOAD_SIZE:]
    cipher_text = cipher_text[:len(cipher_text) - len(cipher_text) % 16]
    decryptor = Cipher(algorithms.AES(key_of(payload)), modes.ECB()).decryptor()
    return decryptor.update(cipher_text) + decryptor.finalize()


class DistributionHwpReader(HWP5Reader):
    """hwp-hwpx-parser's HWP 5 reader over the decrypted ViewText sections instead of BodyText.

    It overrides the two section hooks of the pinned hwp-hwpx-parser 1.0.0 (constraints.txt)."""

    @property
    def has_view_text(self) -> bool:
        return self._open().exists(VIEW_TEXT_STREAM.format(0))

    def _iter_sections(self) -> Iterator[int]:
        ole, index = self._open(), 0
        while ole.exists(VIEW_TEXT_STREAM.format(index)):
            yield index
            index += 1

    def _read_section(self, section_idx: int) -> bytes:
        stream = self._open().openstream(VIEW_TEXT_STREAM.format(section_idx)).read()
        section = decrypt_view_text(stream)
        if not self.is_compressed():
            return section
        # A decompressor, not zlib.decompress: the padding of the last AES block follows the deflate stream.
        try:
            return zlib.decompressobj(-15).decompress(section)
        except zlib.error as error:
            raise DistributionError(f"ViewText section {section_idx} does not decompress: {error}") from error
