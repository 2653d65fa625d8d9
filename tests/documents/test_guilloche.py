"""The guilloche background: deterministic per seed, different between seeds, covering."""

import itertools
import math

import pytest

from documents.guilloche import Curve, guilloche


def point_at(curve: Curve, index: int) -> tuple[float, float]:
    if index == 0:
        return curve.start
    segment = curve.segments[index - 1]
    return segment[4], segment[5]


def test_same_seed_same_pattern_other_seed_other_pattern():
    first = guilloche("沪A2-00040", 88.0, 60.0)
    guilloche.cache_clear()
    again = guilloche("沪A2-00040", 88.0, 60.0)
    assert again == first
    assert again is not first  # really recomputed, not the cache
    others = {guilloche(f"沪A2-{i:05d}", 88.0, 60.0) for i in range(41, 51)}
    assert first not in others
    assert len({p.curves for p in others}) == 10


def test_pattern_has_waves_and_a_rosette():
    pattern = guilloche("沪A2-00040", 88.0, 60.0)
    open_curves = [c for c in pattern.curves if not c.closed]
    closed = [c for c in pattern.curves if c.closed]
    assert len(open_curves) == 2  # two wave families
    assert 2 <= len(closed) <= 3  # rosette rings
    assert len(pattern.strokes) > 60
    assert all(0 <= channel <= 1 for s in pattern.strokes for channel in s.rgb)
    assert all(s.width > 0 for s in pattern.strokes)
    # the background tint and the lines are light
    assert min(pattern.tint) > 0.9
    assert all(sum(s.rgb) / 3 > 0.55 for s in pattern.strokes)


def test_waves_cover_the_card():
    pattern = guilloche("沪B3-12345", 88.0, 60.0)
    for index, curve in enumerate(pattern.curves):
        if curve.closed:
            continue
        x_min, _, x_max, _ = curve.bounds()
        strokes = [s for s in pattern.strokes if s.curve == index]
        for stroke in strokes:
            shift = stroke.matrix[4]
            assert x_min + shift <= 0 and x_max + shift >= 88.0
        offsets = sorted(s.matrix[5] for s in strokes)
        assert offsets[0] <= 0 and offsets[-1] >= 60.0
        assert max(b - a for a, b in itertools.pairwise(offsets)) < 2.5


def test_closed_curves_close():
    pattern = guilloche("沪A2-00040", 88.0, 60.0)
    for curve in pattern.curves:
        if curve.closed:
            end = point_at(curve, len(curve.segments))
            assert math.dist(end, curve.start) == pytest.approx(0, abs=1e-9)
            assert curve.pdf_path().endswith("h")


def test_pdf_path_operators():
    curve = guilloche("沪A2-00040", 88.0, 60.0).curves[0]
    lines = curve.pdf_path().splitlines()
    assert lines[0].endswith(" m")
    assert all(line.endswith(" c") and len(line.split()) == 7 for line in lines[1:])
    assert len(lines) == 1 + len(curve.segments)
