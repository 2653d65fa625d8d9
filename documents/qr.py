"""QR codes for the card, module for module what ``segno.make_qr(payload, error=...,
boost_error=False)`` makes, in a fraction of its time.

segno spends most of a card's QR code in pure-Python loops over single modules: choosing
the data mask (ISO/IEC 18004 7.8.3: all eight masks applied and scored), the Reed-Solomon
blocks and the placement of codeword bits. Here every row of the symbol is one integer, so
masking is one XOR per row, runs of one colour and 2 × 2 blocks are bit arithmetic,
finder-like patterns are found by str.find, and Reed-Solomon is a table-driven shift
register on integers. segno still supplies the tables (capacities, block
structure, Galois field, generator polynomials) and draws the function patterns, format
and version information, so the two cannot drift apart on the standard; where segno's
own choices differ from a literal reading of the standard (a whole zero byte of padding
when the data ends on a codeword boundary; which finder-like patterns are penalised)
this module follows segno, and tests compare the two on many payloads.

Only payloads that segno writes as one byte-mode segment in ISO/IEC 8859-1 without ECI
take this path (the card's URL always does: it has lower-case letters); anything else is
handed to segno itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import segno
from segno import consts, encoder

Matrix = tuple[tuple[bool, ...], ...]

# segno's tables, typed loosely (segno ships no type information).
_CAPACITY: Any = consts.SYMBOL_CAPACITY
_ECC: Any = consts.ECC
_GEN_POLY: Any = consts.GEN_POLY

_ERRORS = {
    "l": consts.ERROR_LEVEL_L,
    "m": consts.ERROR_LEVEL_M,
    "q": consts.ERROR_LEVEL_Q,
    "h": consts.ERROR_LEVEL_H,
}
_ALPHANUMERIC = frozenset(consts.ALPHANUMERIC_CHARS.decode("ascii"))
_FINDER_LIKE = "1011101"  # dark light dark dark dark light dark (1:1:3:1:1)
_TO_MODULES = bytes.maketrans(b"01", b"\x00\x01")


def segno_matrix(payload: str, error: str) -> Matrix:
    """What segno makes (the reference this module reproduces)."""
    code = segno.make_qr(payload, error=error, boost_error=False)
    return tuple(tuple(bool(module) for module in row) for row in code.matrix)


def qr_matrix(payload: str, error: str = "m") -> Matrix:
    """The symbol's modules, True = dark, no quiet zone; segno.DataOverflowError when the
    payload does not fit any version."""
    level = _ERRORS[error.lower()]
    if not _fast_path(payload):
        return segno_matrix(payload, error)
    data = payload.encode("ascii")
    version = _version(len(data), level)
    layout = _layout(version)
    codewords = _final_message(data, version, level)
    rows = _place(layout, codewords)
    mask, masked = _best_mask(layout, rows)
    return _finish(layout, masked, version, level, mask)


def _fast_path(payload: str) -> bool:
    # segno picks byte mode for a payload that is not all digits, not all alphanumeric
    # (upper case and " $%*+-./:") and not Shift JIS kanji, which ASCII never is.
    return bool(payload) and payload.isascii() and any(c not in _ALPHANUMERIC for c in payload)


def _version(length: int, level: int) -> int:
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        if _CAPACITY[version][level] >= 4 + count_bits + 8 * length:
            return version
    raise segno.DataOverflowError("Data too large. No QR Code can handle the provided data")


# --- codewords ------------------------------------------------------------------------------

_remainder_tables: dict[int, tuple[int, ...]] = {}


def _remainder_table(count: int) -> tuple[int, ...]:
    """For each byte f: f times the generator polynomial's lower `count` coefficients, as
    one big-endian integer (one step of the Reed-Solomon shift register)."""
    table = _remainder_tables.get(count)
    if table is None:
        log, exp = consts.GALIOS_LOG, consts.GALIOS_EXP
        generator = _GEN_POLY[count]  # logs of the coefficients below the leading 1
        rows = [0]
        for factor in range(1, 256):
            value = 0
            for coefficient in generator:
                value = (value << 8) | exp[log[factor] + coefficient]
            rows.append(value)
        table = tuple(rows)
        _remainder_tables[count] = table
    return table


def _error_codewords(block: bytes, count: int) -> bytes:
    table = _remainder_table(count)
    shift = 8 * (count - 1)
    keep = (1 << (8 * count)) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(count, "big")


def _final_message(data: bytes, version: int, level: int) -> bytes:
    """Data codewords (mode, count, bytes, terminator, padding) and error correction,
    interleaved block by block (ISO/IEC 18004 7.4 to 7.6, padded the way segno pads)."""
    capacity = _CAPACITY[version][level]
    count_bits = 8 if version < 10 else 16
    bits = 4 + count_bits + 8 * len(data)
    stream = (0b0100 << (count_bits + 8 * len(data))) | (len(data) << (8 * len(data)))
    stream |= int.from_bytes(data, "big")
    terminator = min(capacity - bits, 4)
    stream <<= terminator
    bits += terminator
    padding = 8 - bits % 8  # segno writes a whole zero byte on a codeword boundary
    stream <<= padding
    bits += padding
    message = bytearray(stream.to_bytes(bits // 8, "big"))
    pads = (0xEC, 0x11)
    for i in range(capacity // 8 - bits // 8):
        message.append(pads[i % 2])
    data_blocks: list[bytes] = []
    error_blocks: list[bytes] = []
    offset = 0
    for info in _ECC[version][level]:
        errors = info.num_total - info.num_data
        for _ in range(info.num_blocks):
            block = bytes(message[offset : offset + info.num_data])
            offset += info.num_data
            data_blocks.append(block)
            error_blocks.append(_error_codewords(block, errors))
    out = bytearray()
    for blocks in (data_blocks, error_blocks):
        for i in range(max(len(b) for b in blocks)):
            out.extend(b[i] for b in blocks if i < len(b))
    return bytes(out)


# --- the symbol -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    width: int
    base: tuple[int, ...]  # function patterns as scored (format/version areas light)
    positions: tuple[tuple[int, int], ...]  # codeword bit k -> (row, bit within the row)
    masks: tuple[tuple[int, ...], ...]  # mask k -> per row, the encoding modules it flips


_layouts: dict[int, _Layout] = {}
_layout_lock = threading.Lock()


def _layout(version: int) -> _Layout:
    layout = _layouts.get(version)
    if layout is not None:
        return layout
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    free = 0x2  # make_matrix's "not set": the encoding region
    base = tuple(
        sum(1 << (width - 1 - j) for j in range(width) if matrix[i][j] == 1) for i in range(width)
    )
    # Codeword placement order (7.7.3), as segno.encoder.add_codewords walks the matrix.
    positions: list[tuple[int, int]] = []
    for right in range(width - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(width):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (width - 1 - vertical) if upwards else vertical
                if matrix[i][j] == free:
                    matrix[i][j] = 0
                    positions.append((i, 1 << (width - 1 - j)))
    functions = encoder.get_data_mask_functions(False)
    region: list[list[int]] = [[] for _ in range(width)]  # per row, the encoding columns
    for i, bit in positions:
        region[i].append(width - bit.bit_length())
    masks = tuple(
        tuple(sum(1 << (width - 1 - j) for j in region[i] if function(i, j)) for i in range(width))
        for function in functions
    )
    layout = _Layout(width, base, tuple(positions), masks)
    with _layout_lock:
        _layouts[version] = layout
    return layout


def _place(layout: _Layout, codewords: bytes) -> list[int]:
    """The codeword bits in the encoding region, one integer per row (column 0 = the
    highest bit); the remainder bits stay light."""
    rows = [0] * layout.width
    positions = layout.positions
    bits = bin(int.from_bytes(codewords, "big"))[2:].zfill(8 * len(codewords))
    k = bits.find("1")
    while k != -1:
        i, bit = positions[k]
        rows[i] |= bit
        k = bits.find("1", k + 1)
    return rows


def _runs(lines: list[int], width: int) -> int:
    """N1: a run of 5 + i modules of one colour scores 3 + i (lines as row integers)."""
    pairs = (1 << (width - 1)) - 1
    score = 0
    for line in lines:
        same = ~(line ^ (line >> 1)) & pairs  # bit p: modules p and p + 1 alike
        long = same & (same >> 1) & (same >> 2) & (same >> 3)  # 5 alike from p on
        if long:
            # a run of n alike sets n - 4 bits of `long`: n - 2 = those + 2 per run
            score += long.bit_count() + 2 * (long & ~(long >> 1)).bit_count()
    return score


def _score(rows: list[int], width: int) -> int:
    """segno.encoder.mask_scores' penalty (N1 + N2 + N3 + N4) of one masked symbol."""
    texts = [format(row, f"0{width}b") for row in rows]
    columns = ["".join(column) for column in zip(*texts, strict=True)]
    score = _runs(rows, width) + _runs([int(column, 2) for column in columns], width)
    # N2: 3 for each 2 × 2 block of one colour (blocks overlap).
    full = (1 << width) - 1
    inner = full >> 1
    blocks = 0
    for above, row in pairwise(rows):
        same = ~(above ^ row) & full
        blocks += (same & (same >> 1) & ~(row ^ (row >> 1)) & inner).bit_count()
    score += 3 * blocks
    # N3: 40 for each 1:1:3:1:1 pattern with light modules before or after it, searched
    # the way segno searches (a pattern at either edge counts; the search goes on at its end
    # when it counted, else 4 modules on). Lines are joined: a pattern never spans two.
    last = width - 7
    stride = width + 1
    lines = "\n".join(texts + columns)
    found = lines.find(_FINDER_LIKE)
    while found != -1:
        start = found - found % stride
        index = found - start
        line = lines[start : start + width]
        end = index + 7
        if (
            index in (0, last)
            or "1" not in line[max(index - 4, 0) : index]
            or "1" not in line[end : end + 4]
        ):
            score += 40
        else:
            end = index + 4
        found = lines.find(_FINDER_LIKE, start + end)
    # N4: 10 for each 5 % the dark share is away from 50 %.
    dark = sum(row.bit_count() for row in rows)
    percent = float(dark) / (width**2)
    score += 10 * int(abs(percent * 100 - 50) / 5)
    return score


def _best_mask(layout: _Layout, data: list[int]) -> tuple[int, list[int]]:
    best_score = -1
    best: tuple[int, list[int]] = (0, [])
    base = layout.base
    for number, mask in enumerate(layout.masks):
        rows = [b | (d ^ m) for b, d, m in zip(base, data, mask, strict=True)]
        score = _score(rows, layout.width)
        if best_score < 0 or score < best_score:  # the first of equal scores, as segno
            best_score, best = score, (number, rows)
    return best


def _finish(layout: _Layout, rows: list[int], version: int, level: int, mask: int) -> Matrix:
    width = layout.width
    matrix = tuple(
        bytearray(format(row, f"0{width}b").encode("ascii").translate(_TO_MODULES)) for row in rows
    )
    encoder.add_format_info(matrix, version, level, mask)
    encoder.add_version_info(matrix, version)
    return tuple(tuple(map(bool, row)) for row in matrix)
