#!/usr/bin/python3
"""Generate the foreign evaluation sets: text lines rendered by Pango (pango-view), not by the
project's own FreeType renderer, then degraded with numpy/PIL.

Reads:
  data/fonts.tsv                 the 12 default (training) faces; the hanzi sets use exactly these
  pango-view, fc-query           from the system (Debian pango1.0-tools, fontconfig)
  the font files named in FACES  Latin faces that are never used in training (see README.md)

Writes, under --out (default data/foreign):
  <set>/NNNN.png      8-bit greyscale PNG, one text line each
  <set>/labels.tsv    "NNNN.png<TAB>text<TAB>font", UTF-8, LF, no header, one row per image
for the sets digits, ascii, gb2312-l1-h and gb2312-l1-v (--count lines each, default 200).
On request only (--sets hanzi-subset-h --charset FILE): horizontal lines of the hanzi a charset file
lists, in the 12 faces, for the leave-fonts-out measurement (tools/leave-fonts-out/).

Every line is drawn from its own numpy generator seeded with (seed, set index, line index), so
the output is a pure function of --seed, --count, the fonts and the pango/numpy/PIL versions.
Each rendered line is checked against Pango's own serialization of the layout: the text is the
label, there are no unknown glyphs and every run used the labelled font file (no fallback).

  /usr/bin/python3 tools/foreign/make_foreign.py --out data/foreign --seed 2026
"""

import argparse
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Latin faces for the digits and ascii sets: (label, pango family, pango style, file).
# None of these is a training face (training uses only the 12 CJK faces of data/fonts.tsv).
U = "/usr/share/fonts/opentype/urw-base35/"
F = "/usr/share/fonts/truetype/freefont/"
R = "/usr/share/fonts/truetype/roboto/unhinted/"
O = "/usr/share/fonts/truetype/open-sans/"
D = "/usr/share/fonts/truetype/dejavu/"
LATIN_FACES = [
    ("FreeSans", "FreeSans", "", F + "FreeSans.ttf"),
    ("FreeSans Bold", "FreeSans", "Bold", F + "FreeSansBold.ttf"),
    ("FreeSans Oblique", "FreeSans", "Oblique", F + "FreeSansOblique.ttf"),
    ("FreeSans Bold Oblique", "FreeSans", "Bold Oblique", F + "FreeSansBoldOblique.ttf"),
    ("FreeSerif", "FreeSerif", "", F + "FreeSerif.ttf"),
    ("FreeSerif Bold", "FreeSerif", "Bold", F + "FreeSerifBold.ttf"),
    ("FreeSerif Italic", "FreeSerif", "Italic", F + "FreeSerifItalic.ttf"),
    ("FreeSerif Bold Italic", "FreeSerif", "Bold Italic", F + "FreeSerifBoldItalic.ttf"),
    ("FreeMono", "FreeMono", "", F + "FreeMono.ttf"),
    ("FreeMono Bold", "FreeMono", "Bold", F + "FreeMonoBold.ttf"),
    ("FreeMono Oblique", "FreeMono", "Oblique", F + "FreeMonoOblique.ttf"),
    ("Nimbus Sans", "Nimbus Sans", "", U + "NimbusSans-Regular.otf"),
    ("Nimbus Sans Bold", "Nimbus Sans", "Bold", U + "NimbusSans-Bold.otf"),
    ("Nimbus Sans Italic", "Nimbus Sans", "Italic", U + "NimbusSans-Italic.otf"),
    ("Nimbus Sans Bold Italic", "Nimbus Sans", "Bold Italic", U + "NimbusSans-BoldItalic.otf"),
    ("Nimbus Sans Narrow", "Nimbus Sans Narrow", "", U + "NimbusSansNarrow-Regular.otf"),
    ("Nimbus Sans Narrow Bold", "Nimbus Sans Narrow", "Bold", U + "NimbusSansNarrow-Bold.otf"),
    ("Nimbus Roman", "Nimbus Roman", "", U + "NimbusRoman-Regular.otf"),
    ("Nimbus Roman Bold", "Nimbus Roman", "Bold", U + "NimbusRoman-Bold.otf"),
    ("Nimbus Roman Italic", "Nimbus Roman", "Italic", U + "NimbusRoman-Italic.otf"),
    ("Nimbus Roman Bold Italic", "Nimbus Roman", "Bold Italic", U + "NimbusRoman-BoldItalic.otf"),
    ("Nimbus Mono PS", "Nimbus Mono PS", "", U + "NimbusMonoPS-Regular.otf"),
    ("Nimbus Mono PS Bold", "Nimbus Mono PS", "Bold", U + "NimbusMonoPS-Bold.otf"),
    ("URW Bookman Light", "URW Bookman", "Light", U + "URWBookman-Light.otf"),
    ("URW Bookman Light Italic", "URW Bookman", "Light Italic", U + "URWBookman-LightItalic.otf"),
    ("URW Bookman Demi", "URW Bookman", "Semi-Bold", U + "URWBookman-Demi.otf"),
    ("C059 Roman", "C059", "", U + "C059-Roman.otf"),
    ("C059 Bold", "C059", "Bold", U + "C059-Bold.otf"),
    ("C059 Italic", "C059", "Italic", U + "C059-Italic.otf"),
    ("P052 Roman", "P052", "", U + "P052-Roman.otf"),
    ("P052 Bold", "P052", "Bold", U + "P052-Bold.otf"),
    ("P052 Italic", "P052", "Italic", U + "P052-Italic.otf"),
    ("URW Gothic Book", "URW Gothic", "Book", U + "URWGothic-Book.otf"),
    ("URW Gothic Book Oblique", "URW Gothic", "Book Oblique", U + "URWGothic-BookOblique.otf"),
    ("URW Gothic Demi", "URW Gothic", "Semi-Bold", U + "URWGothic-Demi.otf"),
    ("Roboto", "Roboto", "", R + "RobotoTTF/Roboto-Regular.ttf"),
    ("Roboto Bold", "Roboto", "Bold", R + "RobotoTTF/Roboto-Bold.ttf"),
    ("Roboto Italic", "Roboto", "Italic", R + "RobotoTTF/Roboto-Italic.ttf"),
    ("Roboto Light", "Roboto", "Light", R + "RobotoTTF/Roboto-Light.ttf"),
    ("Roboto Medium", "Roboto", "Medium", R + "RobotoTTF/Roboto-Medium.ttf"),
    ("Roboto Condensed", "Roboto Condensed", "", R + "RobotoCondensed-Regular.ttf"),
    ("Roboto Condensed Bold", "Roboto Condensed", "Bold", R + "RobotoCondensed-Bold.ttf"),
    ("Roboto Condensed Italic", "Roboto Condensed", "Italic", R + "RobotoCondensed-Italic.ttf"),
    ("Open Sans", "Open Sans", "", O + "OpenSans-Regular.ttf"),
    ("Open Sans Bold", "Open Sans", "Bold", O + "OpenSans-Bold.ttf"),
    ("Open Sans Italic", "Open Sans", "Italic", O + "OpenSans-Italic.ttf"),
    ("Open Sans Semibold", "Open Sans", "Semi-Bold", O + "OpenSans-Semibold.ttf"),
    ("Open Sans Condensed Bold", "Open Sans Condensed", "Bold", O + "OpenSans-CondBold.ttf"),
    ("DejaVu Sans", "DejaVu Sans", "", D + "DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "DejaVu Sans", "Bold", D + "DejaVuSans-Bold.ttf"),
    ("DejaVu Sans Oblique", "DejaVu Sans", "Oblique", D + "DejaVuSans-Oblique.ttf"),
    ("DejaVu Sans Condensed", "DejaVu Sans", "Condensed", D + "DejaVuSansCondensed.ttf"),
    ("DejaVu Serif", "DejaVu Serif", "", D + "DejaVuSerif.ttf"),
    ("DejaVu Serif Bold", "DejaVu Serif", "Bold", D + "DejaVuSerif-Bold.ttf"),
    ("DejaVu Serif Italic", "DejaVu Serif", "Italic", D + "DejaVuSerif-Italic.ttf"),
    ("DejaVu Sans Mono", "DejaVu Sans Mono", "", D + "DejaVuSansMono.ttf"),
]

# Pango family and style of each training face, keyed by its name in data/fonts.tsv.
CJK_PANGO = {
    "Noto Sans CJK SC Regular": ("Noto Sans CJK SC", ""),
    "Noto Sans CJK SC Bold": ("Noto Sans CJK SC", "Bold"),
    "Noto Serif CJK SC Regular": ("Noto Serif CJK SC", ""),
    "Noto Serif CJK SC Bold": ("Noto Serif CJK SC", "Bold"),
    "WenQuanYi Zen Hei": ("WenQuanYi Zen Hei", ""),
    "WenQuanYi Micro Hei": ("WenQuanYi Micro Hei", ""),
    "AR PL UKai CN": ("AR PL UKai CN", ""),
    "AR PL UMing CN": ("AR PL UMing CN", ""),
    "LXGW WenKai Regular": ("LXGW WenKai", ""),
    "LXGW WenKai Bold": ("LXGW WenKai", "Bold"),
    "Smiley Sans": ("Smiley Sans", "Oblique"),
    "BabelStone Han": ("BabelStone Han", ""),
}

SETS = ["digits", "ascii", "gb2312-l1-h", "gb2312-l1-v", "hanzi-subset-h"]  # append only: the index seeds
MAX_THICKNESS = 64          # storage: thicker lines are downscaled to this
LINE_HEIGHT = (24.0, 96.0)  # Pango logical line height (thickness) at render time, px

WORDS = """
the of and to in for on with at by from about after before under over new old big small
first last next best free open closed main north south east west city street road park
station hotel bank store market office school house room floor door page chapter section
table figure total price sale order item number account invoice receipt payment balance
date time day week month year today monday friday june march october morning evening
please call send read check note see info help contact email phone fax service customer
coffee tea water bread milk apple orange rice sugar salt box bag pack bottle unit size
red blue green black white gold silver light dark high low fast slow hot cold good great
john mary london paris berlin tokyo new york river lake hill green lane bridge tower gate
is are was were be has have will can may not no yes all any each only more most less
""".split()


def fc_charset(path, index):
    """Code points covered by one face, from fontconfig's charset."""
    out = subprocess.run(["fc-query", "-i", str(index), "--format", "%{charset}", path],
                         check=True, capture_output=True, text=True).stdout
    cps = set()
    for part in out.split():
        a, _, b = part.partition("-")
        lo = int(a, 16)
        hi = int(b, 16) if b else lo
        cps.update(range(lo, hi + 1))
    return cps


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Face:
    def __init__(self, label, family, style, path, index):
        self.label, self.family, self.style, self.path, self.index = label, family, style, path, index
        self.sha = sha256(path)
        self.charset = fc_charset(path, index)
        self.ratio = {}  # orientation -> logical line height / font px size

    def desc(self, px):
        # "Family, Style 40px": the comma stops Pango reading words of the family as style words
        return f"{self.family}, {self.style} {px:.2f}px".replace(",  ", ", ")

    def covers(self, text):
        return all(ord(c) in self.charset for c in text)


def load_cjk_faces():
    faces = []
    with open(os.path.join(REPO, "data", "fonts.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            path, index, name, _pkg = line.rstrip("\n").split("\t")
            family, style = CJK_PANGO[name]
            faces.append(Face(name, family, style, path, int(index)))
    if sorted(f.label for f in faces) != sorted(CJK_PANGO):
        sys.exit("data/fonts.tsv does not list the 12 faces this script knows")
    return faces


def load_latin_faces():
    return [Face(label, fam, sty, path, 0) for label, fam, sty, path in LATIN_FACES]


# ---------------------------------------------------------------------------------------------
# Rendering with pango-view

class RenderError(Exception):
    pass


def pango_render(face, px, text, vertical, hinting, margin, tmp, pitch=1.0):
    """Black text on white by pango-view; returns (coverage float32 array in 0..1, layout json).

    Vertical lines are drawn one character per Pango line, centred, with the line pitch set to
    pitch * px by a (negative) line spacing, rounded to whole pixels: upright hanzi stacked top to bottom. (Pango's east
    gravity would be the other way, but some faces, e.g. WenQuanYi Zen Hei, have no vertical
    advances and come out empty.)
    """
    png = os.path.join(tmp, "line.png")
    ser = os.path.join(tmp, "line.json")
    drawn = "\n".join(text) if vertical else text
    cmd = ["pango-view", "-q", "--pixels", "--no-auto-dir", "--font=" + face.desc(px),
           "--background=white", "--foreground=black", "--antialias=gray",
           "--hinting=" + hinting, "--hint-metrics=off", f"--margin={margin}",
           "--serialize-to=" + ser, "-o", png, "--text=" + drawn]
    if vertical:
        cmd += ["--align=center", f"--spacing={round((pitch - face.ratio[False]) * px)}"]  # whole px only
    env = dict(os.environ, LC_ALL="C.UTF-8")
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    with open(ser, encoding="utf-8") as f:
        layout = json.load(f)
    out = layout["output"]
    if layout["text"] != drawn:
        raise RenderError("pango text differs")
    if out["unknown-glyphs"] != 0 or out["is-wrapped"]:
        raise RenderError("unknown glyphs or wrapped")
    if len(out["lines"]) != (len(text) if vertical else 1):
        raise RenderError("unexpected number of lines")
    covered = 0
    for line in out["lines"]:
        for run in line["runs"]:
            font = run["font"]
            if font["checksum"] != face.sha or not font["description"].startswith(face.family):
                raise RenderError(f"fallback to {font['description']}")
            covered += run["length"]
    if covered != len(text.encode("utf-8")):
        raise RenderError("runs do not cover the text")
    img = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
    return 1.0 - img / 255.0, layout


def measure_ratio(face, vertical, tmp):
    """Horizontal: logical line height / px. Vertical: column width (advance of a hanzi) / px."""
    sample = "汉" if face.label in CJK_PANGO else "Hg"
    _, layout = pango_render(face, 100.0, sample, False, "none", 0, tmp)
    out = layout["output"]
    return (out["width"] if vertical else out["height"]) / 1024.0 / 100.0


# ---------------------------------------------------------------------------------------------
# Texts

def gb2312_level1():
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            if hi == 0xD7 and lo > 0xF9:
                break
            chars.append(bytes([hi, lo]).decode("gb2312"))
    assert len(chars) == 3755
    return chars


def digits_text(rng):
    kind = rng.integers(7)
    d = lambda n: "".join(str(x) for x in rng.integers(0, 10, n))
    if kind == 0:  # random digits, any length
        return d(rng.integers(1, 21))
    if kind == 1:  # date or time stamp
        y, m, dd = rng.integers(1950, 2040), rng.integers(1, 13), rng.integers(1, 29)
        hh, mm, ss = rng.integers(0, 24), rng.integers(0, 60), rng.integers(0, 60)
        forms = [f"{y}{m:02d}{dd:02d}", f"{y % 100:02d}{m:02d}{dd:02d}", f"{hh:02d}{mm:02d}{ss:02d}",
                 f"{y}{m:02d}{dd:02d}{hh:02d}{mm:02d}{ss:02d}", f"{y}"]
        return forms[rng.integers(len(forms))]
    if kind == 2:  # phone number
        return ["1" + str(rng.integers(3, 10)) + d(9), d(10), "0" + d(rng.integers(9, 12))][rng.integers(3)]
    if kind == 3:  # card / account / id number
        return str(rng.integers(1, 10)) + d(rng.choice([11, 15, 17, 18, 19]))
    if kind == 4:  # zero padded counter
        n = int(rng.integers(4, 11))
        return f"{int(rng.integers(0, 10 ** int(rng.integers(1, n)))):0{n}d}"
    if kind == 5:  # round amount
        return str(rng.integers(1, 100)) + "0" * int(rng.integers(1, 9))
    return d(rng.integers(1, 5))  # short numbers


def random_ascii(rng):
    n = int(rng.integers(3, 21))
    out = []
    for i in range(n):
        if 0 < i < n - 1 and out[-1] != " " and rng.random() < 0.12:
            out.append(" ")
        else:
            out.append(chr(rng.integers(0x21, 0x7F)))
    return "".join(out)


def word(rng):
    w = WORDS[rng.integers(len(WORDS))]
    r = rng.random()
    if r < 0.3:
        w = w.capitalize()
    elif r < 0.38:
        w = w.upper()
    return w


def token(rng):
    k = rng.random()
    if k < 0.55:
        w = word(rng)
        if rng.random() < 0.18:
            w += ",.;:!?"[rng.integers(6)]
        return w
    if k < 0.65:
        n = int(rng.integers(0, 10 ** int(rng.integers(1, 5))))
        return f"{n:,}" if n >= 1000 and rng.random() < 0.5 else str(n)
    if k < 0.73:  # price
        v = rng.integers(1, 100000) / 100
        forms = [f"${v:.2f}", f"${v:,.2f}", f"{v:.2f}", f"USD {v:.0f}", f"EUR {v:.2f}", f"{v:.2f}$"]
        return forms[rng.integers(len(forms))]
    if k < 0.81:  # date or time
        y, m, d = rng.integers(1990, 2036), rng.integers(1, 13), rng.integers(1, 29)
        months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
        forms = [f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{d}.{m}.{y}", f"{d} {months[m - 1]} {y}",
                 f"{months[m - 1]}. {d}", f"{rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"]
        return forms[rng.integers(len(forms))]
    if k < 0.86:
        return f"{rng.integers(1, 100)}%"
    if k < 0.90:
        return ["#", "No.", "p.", "Tel:", "Ref:", "Fig.", "(", "&", "-", "+"][rng.integers(10)] + str(rng.integers(1, 1000))
    if k < 0.94:
        return '"' + word(rng) + '"' if rng.random() < 0.5 else "(" + word(rng) + ")"
    if k < 0.97:
        return word(rng).lower() + "@" + word(rng).lower() + ".com"
    return ["-", "&", "/", "+", "=", "*"][rng.integers(6)]


def realistic_ascii(rng):
    while True:
        target = int(rng.integers(3, 26))
        s = ""
        for _ in range(30):
            t = token(rng)
            cand = t if not s else s + " " + t
            if len(cand) > target:
                if s:
                    break
                continue
            s = cand
        if rng.random() < 0.25 and s and s[-1].isalnum() and len(s) < 25:
            s += "."
        if 3 <= len(s) <= 25:
            return s


def ascii_text(rng):
    return random_ascii(rng) if rng.random() < 0.5 else realistic_ascii(rng)


def hanzi_text(rng, chars):
    return "".join(chars[i] for i in rng.integers(0, len(chars), int(rng.integers(2, 17))))


# ---------------------------------------------------------------------------------------------
# Degradation

def gaussian_blur(img, sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        p = np.pad(img, pad, mode="edge")
        acc = np.zeros_like(img)
        n = img.shape[axis]
        for i, w in enumerate(k):
            acc += w * (p[i:i + n, :] if axis == 0 else p[:, i:i + n])
        img = acc
    return img


def background(rng, h, w, dark_text):
    """Returns (background array, text level, description)."""
    kind = ["flat", "gradient", "noise"][rng.choice(3, p=[0.4, 0.3, 0.3])]
    min_contrast = 80.0 if kind == "noise" else 70.0
    if dark_text:
        base = rng.uniform(150, 255)
        text = max(0.0, base - rng.uniform(min_contrast, 230))
        text = min(text, base - min_contrast)
    else:
        base = rng.uniform(0, 110)
        text = min(255.0, base + rng.uniform(min_contrast, 230))
        text = max(text, base + min_contrast)
    bg = np.full((h, w), base, dtype=np.float32)
    if kind == "gradient":
        # moves towards the text level by at most (contrast - 60): at least 60 levels everywhere
        room = abs(base - text) - 60.0
        g = rng.uniform(0.3, 1.0) * min(80.0, max(0.0, room))
        ang = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        proj = xx * math.cos(ang) + yy * math.sin(ang)
        proj = (proj - proj.min()) / max(1e-6, proj.max() - proj.min())
        bg += (np.sign(text - base) * g * proj).astype(np.float32)
    elif kind == "noise":
        if rng.random() < 0.5:
            bg += rng.normal(0, rng.uniform(3, 10), (h, w)).astype(np.float32)
            kind = "noise-gaussian"
        else:
            a = rng.uniform(5, 16)
            bg += rng.uniform(-a, a, (h, w)).astype(np.float32)
            kind = "noise-uniform"
    return bg, float(text), kind


def render_line(rng, text, face, vertical, tmp):
    H = rng.uniform(*LINE_HEIGHT)
    px = H / face.ratio[vertical]
    hinting = ["none", "slight", "full"][rng.integers(3)]
    pad = int(math.ceil(0.45 * H)) + 8
    pitch = rng.uniform(0.95, 1.15) if vertical else 1.0  # vertical: character pitch / px
    cov, _ = pango_render(face, px, text, vertical, hinting, pad, tmp, pitch)

    if rng.random() < 0.35:  # slight skew
        angle = rng.uniform(-3, 3)
        im = Image.fromarray(np.round(cov * 255).astype(np.uint8), "L")
        im = im.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=0)
        cov = np.asarray(im, dtype=np.float32) / 255.0

    ys, xs = np.nonzero(cov > 0.03)
    if len(ys) == 0:
        raise RenderError("no ink")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    if rng.random() < 0.4:  # tight crop
        m = rng.integers(0, 3, 4)
    else:                   # loose crop
        m = np.round(rng.uniform(0, 0.4 * H, 4)).astype(int)
    top, bottom, left, right = (int(v) for v in m)
    big = np.pad(cov, ((pad * 2, pad * 2), (pad * 2, pad * 2)))
    o = pad * 2
    cov = big[o + y0 - top:o + y1 + bottom, o + x0 - left:o + x1 + right]

    h, w = cov.shape
    dark_text = rng.random() < 0.7
    bg, fg, _kind = background(rng, h, w, dark_text)
    img = bg * (1.0 - cov) + fg * cov

    if rng.random() < 0.4:
        img = gaussian_blur(img, rng.uniform(0.3, 1.5))
    if rng.random() < 0.35:  # light additive noise
        img = img + rng.normal(0, rng.uniform(1, 3), img.shape).astype(np.float32)
    im = Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), "L")

    if rng.random() < 0.5:
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=int(rng.integers(40, 91)))
        buf.seek(0)
        im = Image.open(buf).convert("L")

    thickness = im.width if vertical else im.height
    if thickness > MAX_THICKNESS:
        s = MAX_THICKNESS / thickness
        if vertical:
            size = (MAX_THICKNESS, max(1, round(im.height * s)))
        else:
            size = (max(1, round(im.width * s)), MAX_THICKNESS)
        im = im.resize(size, Image.LANCZOS)
    return im


# ---------------------------------------------------------------------------------------------

def make_set(set_index, name, out_dir, seed, count, faces, make_text, vertical, tmp, log):
    d = os.path.join(out_dir, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    rows = []
    for i in range(count):
        rng = np.random.default_rng([seed, set_index, i])
        text = make_text(rng)
        candidates = [f for f in faces if f.covers(text)]
        if len(candidates) < len(faces):
            missing = [f.label for f in faces if f not in candidates]
            log.append(f"{name} {i + 1:04d}: faces lacking a glyph, not drawn: {', '.join(missing)}")
        while True:
            if not candidates:
                raise SystemExit(f"{name} {i + 1:04d}: no face covers {text!r}")
            face = candidates[rng.integers(len(candidates))]
            try:
                im = render_line(rng, text, face, vertical, tmp)
                break
            except RenderError as e:
                log.append(f"{name} {i + 1:04d}: {face.label}: {e}; re-picked")
                candidates = [f for f in candidates if f is not face]
        fn = f"{i + 1:04d}.png"
        im.save(os.path.join(d, fn), format="PNG", optimize=True)
        assert "\t" not in text and "\n" not in text
        rows.append(f"{fn}\t{text}\t{face.label}\n")
    with open(os.path.join(d, "labels.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "foreign"))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--sets", default=",".join(SETS[:4]))
    ap.add_argument("--charset", help="for hanzi-subset-h: a file, one character per line")
    args = ap.parse_args()
    subset = None
    if "hanzi-subset-h" in args.sets.split(","):
        if not args.charset:
            raise SystemExit("hanzi-subset-h needs --charset FILE")
        with open(args.charset, encoding="utf-8") as f:
            subset = [line.rstrip("\n") for line in f if line.rstrip("\n")]

    latin = load_latin_faces()
    cjk = load_cjk_faces()
    hanzi = gb2312_level1()
    log = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in latin:
            f.ratio[False] = measure_ratio(f, False, tmp)
        for f in cjk:
            f.ratio[False] = measure_ratio(f, False, tmp)
            f.ratio[True] = measure_ratio(f, True, tmp)
        specs = {
            "digits": (latin, digits_text, False),
            "ascii": (latin, ascii_text, False),
            "gb2312-l1-h": (cjk, lambda r: hanzi_text(r, hanzi), False),
            "gb2312-l1-v": (cjk, lambda r: hanzi_text(r, hanzi), True),
            "hanzi-subset-h": (cjk, lambda r: hanzi_text(r, subset), False),
        }
        for name in args.sets.split(","):
            faces, make_text, vertical = specs[name]
            make_set(SETS.index(name), name, args.out, args.seed, args.count, faces, make_text,
                     vertical, tmp, log)
            print(f"{name}: {args.count} lines", file=sys.stderr)
    for line in log:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
