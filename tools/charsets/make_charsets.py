#!/usr/bin/env python3
"""Derives crnn-cluster's charset presets from the standards' code tables.

Writes data/charsets/{digits,ascii,gb2312-l1,gb2312}.txt and tools/charsets/full-candidates.txt,
one character per line (the original project's all_words.txt format; blank = class 0 is implicit,
line i = class i). Run from anywhere:

    python3 tools/charsets/make_charsets.py
    swift run crnnctl gen --keep-drawable tools/charsets/full-candidates.txt --min-faces 2 \
        --out data/charsets/full.txt

The second step keeps only the characters that at least two of the default faces really draw
(cmap entry and a non-empty outline, FreeType with FT_LOAD_NO_BITMAP, the renderer's own test), so
`full` never holds a class no font can show. Python's codecs are the code tables: every valid
2-byte code of GB2312 / GBK / Big5 is decoded. Private-use code points are left out.
"""
import os
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "data", "charsets")


def decode_all(codec, lead, trail):
    """Every character that `codec` decodes from a 2-byte code lead x trail, in code order."""
    chars = []
    for a in lead:
        for b in trail:
            try:
                c = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(c) == 1 and not is_private(c):
                chars.append(c)
    return chars


def is_private(c):
    return unicodedata.category(c) in ("Co", "Cn", "Cs", "Cc")


def gb2312_rows(rows):
    return decode_all("gb2312", [0xA0 + r for r in rows], range(0xA1, 0xFF))


def unique(chars):
    seen, out = set(), []
    for c in chars:
        if c not in seen and not c.isspace():
            seen.add(c)
            out.append(c)
    return out


def write(path, chars):
    with open(path, "w", encoding="utf-8") as f:
        for c in chars:
            f.write(c + "\n")
    print(f"{os.path.relpath(path, ROOT)}: {len(chars)} characters")


def main():
    os.makedirs(OUT, exist_ok=True)
    digits = [chr(c) for c in range(0x30, 0x3A)]
    ascii_ = [chr(c) for c in range(0x21, 0x7F)]             # printable, without the space
    # "Common CJK punctuation": GB2312 row 1 (、。《》「」…) and row 3 (fullwidth ASCII ，！？).
    punctuation = gb2312_rows([1, 3])
    level1 = gb2312_rows(range(16, 56))                       # 0xB0A1-0xD7F9
    level2 = gb2312_rows(range(56, 88))                       # 0xD8A1-0xF7FE
    assert len(level1) == 3755, len(level1)
    assert len(level1) + len(level2) == 6763, len(level1) + len(level2)

    write(os.path.join(OUT, "digits.txt"), digits)
    write(os.path.join(OUT, "ascii.txt"), ascii_)
    write(os.path.join(OUT, "gb2312-l1.txt"), unique(ascii_ + punctuation + level1))
    write(os.path.join(OUT, "gb2312.txt"), unique(ascii_ + punctuation + level1 + level2))

    ranges = [
        (0x3000, 0x303F),   # CJK symbols and punctuation
        (0xFF01, 0xFF5E),   # fullwidth forms
        (0x3041, 0x3096), (0x30A1, 0x30FA), (0x30FC, 0x30FE),   # kana
        (0x3105, 0x312F),   # Bopomofo
        (0x3400, 0x4DBF),   # CJK Ext-A
        (0x4E00, 0x9FFF),   # CJK Unified
    ]
    from_ranges = [chr(c) for lo, hi in ranges for c in range(lo, hi + 1) if not is_private(chr(c))]
    gbk = decode_all("gbk", range(0x81, 0xFF), range(0x40, 0xFF))
    big5 = decode_all("big5", range(0x81, 0xFF), range(0x40, 0xFF))
    everything = unique(ascii_ + punctuation + level1 + level2 + gbk + big5 + from_ranges)
    # Standards order first (ASCII, GB2312, GBK, Big5), then the ranges: classes of the smaller
    # presets keep low indices in the full list too.
    write(os.path.join(ROOT, "tools", "charsets", "full-candidates.txt"), everything)


if __name__ == "__main__":
    main()
