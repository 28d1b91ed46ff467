#!/usr/bin/env python3
"""Writes the small image fixtures of TextImagesTests (committed; rerun only to change them).

PNGs come from a pure-Python writer (zlib), so every colour type and bit depth is exact and known;
JPEGs from `cjpeg` (Debian libjpeg-turbo-progs). Pixel values follow grey(x, y) = 16*x + 8*y so the
tests can check decoded values without storing them.
"""
import struct, subprocess, zlib

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def png(path, width, height, bit_depth, colour_type, rows, palette=None, interlace=False):
    """rows: list of bytes per row (already packed at the bit depth), no filter byte."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 1 if interlace else 0)
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type] * bit_depth // 8
    if interlace:
        raw = b""
        for (x0, y0, dx, dy) in [(0,0,8,8),(4,0,8,8),(0,4,4,8),(2,0,4,4),(0,2,2,4),(1,0,2,2),(0,1,1,2)]:
            for y in range(y0, height, dy):
                xs = range(x0, width, dx)
                if len(xs) == 0:
                    continue
                raw += b"\0" + b"".join(rows[y][x*bpp:(x+1)*bpp] for x in xs)
    else:
        raw = b"".join(b"\0" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    out += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(out)

def grey(x, y):
    return 16 * x + 8 * y

W, H = 12, 9
png("grey8.png", W, H, 8, 0, [bytes(grey(x, y) for x in range(W)) for y in range(H)])
png("grey8-interlaced.png", W, H, 8, 0, [bytes(grey(x, y) for x in range(W)) for y in range(H)], interlace=True)
# 16-bit RGB with r = g = b = grey * 257 (exactly the 8-bit value scaled up).
png("rgb16.png", W, H, 16, 2,
    [b"".join(struct.pack(">HHH", *(3 * [grey(x, y) * 257])) for x in range(W)) for y in range(H)])
# RGBA: left half opaque grey, right half fully transparent black (must come out white).
png("rgba8.png", W, H, 8, 6,
    [b"".join(bytes([grey(x, y)] * 3 + [255 if x < W // 2 else 0]) for x in range(W)) for y in range(H)])
# Palette of grey levels: index i -> grey 16 * i.
png("palette.png", W, H, 8, 3, [bytes((x + y) % 16 for x in range(W)) for y in range(H)],
    palette=[(16 * i,) * 3 for i in range(16)])

# JPEG: the same gradient as PGM, then cjpeg at high quality (decode tolerance a few levels).
pgm = b"P5 %d %d 255\n" % (W, H) + bytes(grey(x, y) for y in range(H) for x in range(W))
open("/tmp/crnn-fixture.pgm", "wb").write(pgm)
subprocess.run(["cjpeg", "-quality", "100", "-outfile", "gradient.jpg", "/tmp/crnn-fixture.pgm"], check=True)
ppm = b"P6 %d %d 255\n" % (W, H) + b"".join(bytes([grey(x, y)] * 3) for y in range(H) for x in range(W))
open("/tmp/crnn-fixture.ppm", "wb").write(ppm)
subprocess.run(["cjpeg", "-quality", "100", "-outfile", "gradient-rgb.jpg", "/tmp/crnn-fixture.ppm"], check=True)
