"""documents.qr makes, module for module, the QR code segno makes (the card's reference)."""

import random

import pytest
import segno

from documents.qr import qr_matrix, segno_matrix

URL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=% "


def payloads() -> list[str]:
    rng = random.Random(18004)
    lengths = [*range(1, 60), *range(60, 400, 11), *(rng.randint(400, 2300) for _ in range(4))]
    return ["".join(rng.choice(URL_CHARS) for _ in range(n)) for n in lengths]


def test_matches_segno_on_many_payloads_every_mask_and_many_versions():
    masks, versions = set(), set()
    for payload in payloads():
        code = segno.make_qr(payload, error="m", boost_error=False)
        masks.add(code.mask)
        versions.add(code.version)
        assert qr_matrix(payload) == segno_matrix(payload, "m"), payload
    assert masks == set(range(8))
    assert len(versions) >= 15


@pytest.mark.parametrize("error", ["l", "m", "q", "h"])
def test_matches_segno_at_every_error_level(error):
    url = "https://nrmm.example.gov.cn/v/%E6%B2%AAA2-00040/1.s1." + "x" * 86
    assert qr_matrix(url, error) == segno_matrix(url, error)


@pytest.mark.parametrize("payload", ["12345", "HELLO WORLD $%*+-./:", "é", "汉字", "a\x00b"])
def test_other_modes_are_segnos_own(payload):
    assert qr_matrix(payload) == segno_matrix(payload, "m")


def test_too_long_raises_segnos_error():
    with pytest.raises(segno.DataOverflowError):
        qr_matrix("a" * 3000)
