"""Draws media/icon.png (256 x 256), the extension's marketplace icon, with no dependencies.

The four atoms of LSMI as the usual information diagram: two overlapping circles (modality 1 in
blue, modality 2 in orange, the colours of media/lsmi.svg), their overlap the redundancy R, the rest
of each circle the unique information U1 and U2, and the band of the enclosing ellipse outside both
circles the synergy S. Rendered by 4 x 4 supersampling; the letters are stroked polylines.

    python3 scripts/make_icon.py            # writes media/icon.png
"""
import math
import struct
import sys
import zlib
from pathlib import Path

SIZE = 256
SUB = 4  # supersampling per axis

BG = (0x1F, 0x29, 0x37)  # also package.json's galleryBanner colour
S_FILL = (0x2E, 0x8B, 0x6B)
U1_FILL = (0x3B, 0x82, 0xD6)
U2_FILL = (0xE0, 0x8E, 0x3A)
R_FILL = (0x8B, 0x6A, 0xC8)
EDGE = (0xF3, 0xF4, 0xF6)
TEXT = (0xFF, 0xFF, 0xFF)

CORNER = 44  # rounded square
ELLIPSE = (128.0, 132.0, 114.0, 100.0)  # cx, cy, rx, ry
C1 = (94.0, 118.0, 64.0)  # cx, cy, r
C2 = (162.0, 118.0, 64.0)
EDGE_W = 2.2


def in_rounded_square(x, y):
    r = CORNER
    cx = min(max(x, r), SIZE - r)
    cy = min(max(y, r), SIZE - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def ellipse_level(x, y):
    cx, cy, rx, ry = ELLIPSE
    return math.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)


def base_colour(x, y):
    """The diagram's colour at a point, or None outside the rounded square."""
    if not in_rounded_square(x, y):
        return None
    d1 = math.hypot(x - C1[0], y - C1[1])
    d2 = math.hypot(x - C2[0], y - C2[1])
    e = ellipse_level(x, y)
    if abs(d1 - C1[2]) < EDGE_W / 2 or abs(d2 - C2[2]) < EDGE_W / 2 or abs(e - 1) * ELLIPSE[3] < EDGE_W / 2:
        return EDGE
    in1, in2 = d1 <= C1[2], d2 <= C2[2]
    if in1 and in2:
        return R_FILL
    if in1:
        return U1_FILL
    if in2:
        return U2_FILL
    if e <= 1:
        return S_FILL
    return BG


def arc(cx, cy, r, t0, t1, n=18):
    return [(cx + r * math.cos(t0 + (t1 - t0) * i / n), cy + r * math.sin(t0 + (t1 - t0) * i / n)) for i in range(n + 1)]


PI = math.pi
# glyphs in a box 0.6 wide and 1 high, y pointing down; each a list of polylines
GLYPHS = {
    "R": [[(0, 1), (0, 0), (0.32, 0)] + arc(0.32, 0.25, 0.25, -PI / 2, PI / 2) + [(0, 0.5)], [(0.3, 0.5), (0.6, 1)]],
    # down the left side, round the bottom, up the right side
    "U": [[(0, 0)] + arc(0.3, 0.7, 0.3, PI, 0) + [(0.6, 0)]],
    "S": [arc(0.3, 0.25, 0.26, -0.15 * PI, -1.5 * PI) + arc(0.3, 0.75, 0.26, -0.5 * PI, 0.85 * PI)],
    "1": [[(0.08, 0.22), (0.36, 0), (0.36, 1)]],
    "2": [arc(0.3, 0.3, 0.3, 0.95 * PI, 2.2 * PI) + [(0, 1), (0.62, 1)]],
}


def label_segments(text, cx, cy, height, gap=0.28):
    """The stroke segments of `text`, centred on (cx, cy)."""
    advance = [(0.42 if ch == "1" else 0.6) for ch in text]
    width = (sum(advance) + gap * (len(text) - 1)) * height
    x0 = cx - width / 2
    y0 = cy - height / 2
    segs = []
    for ch, adv in zip(text, advance):
        shift = -0.08 if ch == "1" else 0.0
        for line in GLYPHS[ch]:
            pts = [(x0 + (px + shift) * height, y0 + py * height) for px, py in line]
            segs += list(zip(pts, pts[1:]))
        x0 += (adv + gap) * height
    return segs


def seg_dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    L = dx * dx + dy * dy
    t = 0.0 if L == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def main(out):
    h = 27
    stroke = 4.6
    labels = [
        label_segments("U1", 60, 118, h),
        label_segments("R", 128, 118, h),
        label_segments("U2", 196, 118, h),
        label_segments("S", 128, 203, h),
    ]
    boxes = []
    for segs in labels:
        xs = [p[0] for s in segs for p in s]
        ys = [p[1] for s in segs for p in s]
        boxes.append((min(xs) - stroke, max(xs) + stroke, min(ys) - stroke, max(ys) + stroke, segs))

    rows = []
    for y in range(SIZE):
        row = bytearray([0])  # filter type 0
        for x in range(SIZE):
            near = [b for b in boxes if b[0] - 1 <= x <= b[1] + 1 and b[2] - 1 <= y <= b[3] + 1]
            r = g = bl = a = 0.0
            for j in range(SUB):
                for i in range(SUB):
                    sx = x + (i + 0.5) / SUB
                    sy = y + (j + 0.5) / SUB
                    c = base_colour(sx, sy)
                    if c is None:
                        continue
                    for b in near:
                        if any(seg_dist(sx, sy, p, q) <= stroke / 2 for p, q in b[4]):
                            c = TEXT
                            break
                    r += c[0]
                    g += c[1]
                    bl += c[2]
                    a += 1
            n = SUB * SUB
            if a:
                row += bytes((round(r / a), round(g / a), round(bl / a), round(255 * a / n)))
            else:
                row += bytes(4)
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    Path(out).write_bytes(png)
    print(f"wrote {out} ({SIZE}x{SIZE}, {len(png)} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent / "media" / "icon.png"))
