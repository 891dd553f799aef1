"""Checks the example's output: a 4x4 8-bit grey PNG, every pixel 191 (255 - 64)."""
import struct
import sys
import zlib

data = open(sys.argv[1], 'rb').read()
pos, idat, header = 8, b'', None
while pos < len(data):
    (length,) = struct.unpack('>I', data[pos:pos + 4])
    kind = data[pos + 4:pos + 8]
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        header = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length
assert header == (4, 4, 8, 0), header
raw = zlib.decompress(idat)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


# Undo the PNG row filters (one byte per pixel here).
pixels, above = [], [0] * 4
for r in range(4):
    kind, line, row = raw[r * 5], raw[r * 5 + 1:(r + 1) * 5], []
    for x, v in enumerate(line):
        left = row[x - 1] if x else 0
        up, corner = above[x], above[x - 1] if x else 0
        predictor = [0, left, up, (left + up) // 2, paeth(left, up, corner)][kind]
        row.append((v + predictor) & 0xFF)
    pixels.append(row)
    above = row
assert all(set(row) == {191} for row in pixels), pixels
print('inverted grey 64 -> 191')
