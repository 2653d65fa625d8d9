"""Guilloche (防伪底纹) background patterns, generated mathematically.

Pure geometry, no PDF library. A pattern is a light tint plus a few *base curves* (cubic
Bézier paths, in mm) and many *strokes*, each drawing one base curve through an affine
transform. Two families of fine interlaced sine waves (each line the family's base wave
shifted sideways, which is a phase drift) cross a rosette of nested, slightly rotated
copies of a closed polar curve r(θ) = 1 + a·sin(kθ) + b·sin(mθ + ψ).

Every parameter (wavelengths, amplitudes, drift, lobes, scales, centre, hues) is drawn from
a random generator seeded with SHA-256 of the seed string (the card's short number), so
each card's pattern differs and the same card always gets the same pattern. Reusing base
curves keeps a card's PDF small and quick to build: the curve is written once (a form
XObject) and each stroke is a transform plus a reference.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

Point = tuple[float, float]
Segment = tuple[float, float, float, float, float, float]  # c1x c1y c2x c2y x y
Matrix = tuple[float, float, float, float, float, float]  # PDF order: a b c d e f
RGB = tuple[float, float, float]  # 0..1

WAVE_LINE_WIDTH = 0.09  # mm
ROSETTE_LINE_WIDTH = 0.11  # mm
WAVE_SEGMENTS_PER_WAVELENGTH = 10
ROSETTE_SEGMENTS_PER_LOBE = 6
TINT_LIGHTNESS = 0.965  # the background tint: barely coloured
LINE_LIGHTNESS = (0.72, 0.80)  # the curves: light, so text and the QR code stay clear


@dataclass(frozen=True)
class Curve:
    """A path of cubic Bézier segments in its own coordinates (mm)."""

    start: Point
    segments: tuple[Segment, ...]
    closed: bool

    def bounds(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the control points (contains the curve)."""
        xs = [self.start[0]] + [v for s in self.segments for v in (s[0], s[2], s[4])]
        ys = [self.start[1]] + [v for s in self.segments for v in (s[1], s[3], s[5])]
        return min(xs), min(ys), max(xs), max(ys)

    def pdf_path(self) -> str:
        """PDF path construction operators (the caller adds the painting operator)."""
        x, y = self.start
        parts = [f"{x:.2f} {y:.2f} m"]
        parts += [
            f"{a:.2f} {b:.2f} {c:.2f} {d:.2f} {x:.2f} {y:.2f} c"
            for a, b, c, d, x, y in self.segments
        ]
        if self.closed:
            parts.append("h")
        return "\n".join(parts)


@dataclass(frozen=True)
class Stroke:
    curve: int  # index into Guilloche.curves
    matrix: Matrix  # curve coordinates → card coordinates (mm)
    rgb: RGB
    width: float  # line width in the curve's own units (already divided by the scale)


@dataclass(frozen=True)
class Guilloche:
    seed: str
    width: float  # mm
    height: float
    tint: RGB
    curves: tuple[Curve, ...]
    strokes: tuple[Stroke, ...]

    @property
    def digest(self) -> str:
        return seed_digest(self.seed)


def seed_digest(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def _sampled(
    point: Callable[[float], Point],
    tangent: Callable[[float], Point],
    t0: float,
    t1: float,
    count: int,
    closed: bool,
) -> Curve:
    """A parametric curve as `count` cubic segments (Hermite: exact ends and tangents)."""
    dt = (t1 - t0) / count
    ts = [t0 + i * dt for i in range(count + 1)]
    points = [point(t) for t in ts]
    tangents = [tangent(t) for t in ts]
    k = dt / 3
    segments = []
    for i in range(count):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        (dx0, dy0), (dx1, dy1) = tangents[i], tangents[i + 1]
        segments.append((x0 + dx0 * k, y0 + dy0 * k, x1 - dx1 * k, y1 - dy1 * k, x1, y1))
    return Curve(points[0], tuple(segments), closed)


def _wave(wavelength: float, amp1: float, amp2: float, phase2: float, length: float) -> Curve:
    """y = A1·sin(2πx/λ) + A2·sin(4πx/λ + ψ) for x from -λ to length + λ."""
    w = 2 * math.pi / wavelength

    def point(x: float) -> Point:
        return x, amp1 * math.sin(w * x) + amp2 * math.sin(2 * w * x + phase2)

    def tangent(x: float) -> Point:
        return 1.0, amp1 * w * math.cos(w * x) + 2 * amp2 * w * math.cos(2 * w * x + phase2)

    start, end = -wavelength, length + wavelength
    count = math.ceil((end - start) / wavelength * WAVE_SEGMENTS_PER_WAVELENGTH)
    return _sampled(point, tangent, start, end, count, closed=False)


def _rosette(lobes: int, amp: float, minor_lobes: int, minor_amp: float, phase: float) -> Curve:
    """The closed polar curve r(θ) = 1 + a·sin(kθ) + b·sin(mθ + ψ) (unit radius)."""

    def radius(t: float) -> tuple[float, float]:
        r = 1 + amp * math.sin(lobes * t) + minor_amp * math.sin(minor_lobes * t + phase)
        dr = amp * lobes * math.cos(lobes * t) + minor_amp * minor_lobes * math.cos(
            minor_lobes * t + phase
        )
        return r, dr

    def point(t: float) -> Point:
        r, _ = radius(t)
        return r * math.cos(t), r * math.sin(t)

    def tangent(t: float) -> Point:
        r, dr = radius(t)
        return dr * math.cos(t) - r * math.sin(t), dr * math.sin(t) + r * math.cos(t)

    return _sampled(point, tangent, 0.0, 2 * math.pi, lobes * ROSETTE_SEGMENTS_PER_LOBE, True)


def _colour(hue: float, rng: random.Random) -> RGB:
    lightness = rng.uniform(*LINE_LIGHTNESS)
    return colorsys.hls_to_rgb(hue % 1.0, lightness, rng.uniform(0.45, 0.65))


@lru_cache(maxsize=256)
def guilloche(seed: str, width: float, height: float) -> Guilloche:
    """The pattern for `seed` (e.g. the short number) covering width × height mm."""
    rng = random.Random(int(seed_digest(seed)[:16], 16))
    hue = rng.random()
    tint = colorsys.hls_to_rgb(hue, TINT_LIGHTNESS, 0.6)
    curves: list[Curve] = []
    strokes: list[Stroke] = []

    # Two families of waves, drifting in opposite directions: a woven net.
    for family, hue_shift in enumerate((0.0, rng.uniform(0.3, 0.45))):
        wavelength = rng.uniform(16.0, 26.0)
        amp1 = rng.uniform(1.2, 2.4)
        amp2 = rng.uniform(0.3, 0.9)
        curves.append(_wave(wavelength, amp1, amp2, rng.uniform(0, 2 * math.pi), width))
        index = len(curves) - 1
        spacing = rng.uniform(1.5, 2.1)
        drift = rng.uniform(0.06, 0.16) * wavelength * (1 if family == 0 else -1)
        rgb = _colour(hue + hue_shift, rng)
        reach = amp1 + amp2
        count = math.ceil((height + 2 * reach) / spacing) + 1
        offset = rng.uniform(0, spacing)
        for i in range(count):
            shift = (i * drift) % wavelength
            y = -reach + offset + i * spacing
            strokes.append(Stroke(index, (1, 0, 0, 1, -shift, y), rgb, WAVE_LINE_WIDTH))

    # A rosette: rings of interlaced copies of one closed curve, each copy turned by a
    # fraction of a lobe, so the copies weave a ribbon; two or three rings, nested.
    centre_x = width / 2 + rng.uniform(-8, 8)
    centre_y = height / 2 + rng.uniform(-5, 5)
    rgb = _colour(hue + rng.uniform(0.55, 0.75), rng)
    radius = rng.uniform(24.0, 30.0)
    for _ring in range(rng.randint(2, 3)):
        lobes = rng.randint(max(8, round(radius * 0.6)), max(10, round(radius * 0.9)))
        amplitude = rng.uniform(2.0, 3.5)  # mm
        curves.append(
            _rosette(
                lobes,
                amplitude / radius,
                rng.choice((2, 3, 4)),
                rng.uniform(0.3, 0.8) / radius,
                rng.uniform(0, 2 * math.pi),
            )
        )
        index = len(curves) - 1
        copies = rng.randint(4, 7)
        start = rng.uniform(0, 2 * math.pi)
        for j in range(copies):
            angle = start + j * 2 * math.pi / lobes / copies
            cos, sin = math.cos(angle) * radius, math.sin(angle) * radius
            matrix = (cos, sin, -sin, cos, centre_x, centre_y)
            strokes.append(Stroke(index, matrix, rgb, ROSETTE_LINE_WIDTH / radius))
        radius -= amplitude * 2 + rng.uniform(1.5, 3.5)
        if radius < 6:
            break

    return Guilloche(seed, width, height, tint, tuple(curves), tuple(strokes))
