#!/usr/bin/env python3
"""Writes the tile lists the tile benchmark replays.

cold.txt: every tile over z4-z14 that touches a programme district (bounding boxes from the
          database), shuffled with a fixed seed;
low.txt:  every tile over z0-z6 that touches Sweden's bounding box.
Usage: tile_lists.py OUT_DIR < district_bboxes.tsv   (lines: west south east north)
"""
import math
import random
import sys


def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2.0 * n)
    return min(x, n - 1), min(y, n - 1)


def tiles_in(w, s, e, n, z):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    return {(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}


out = sys.argv[1]
cold = set()
for line in sys.stdin:
    w, s, e, n = map(float, line.split())
    for z in range(4, 15):
        cold |= tiles_in(w, s, e, n, z)
cold = sorted(cold)
random.Random(20261122).shuffle(cold)
with open(f"{out}/cold.txt", "w") as f:
    f.writelines(f"{z}/{x}/{y}\n" for z, x, y in cold)
low = sorted(t for z in range(0, 7) for t in tiles_in(10.5, 55.2, 24.3, 69.2, z))
with open(f"{out}/low.txt", "w") as f:
    f.writelines(f"{z}/{x}/{y}\n" for z, x, y in low)
print(f"{len(cold)} cold tiles (z4-z14 over districts), {len(low)} low-zoom tiles (z0-z6)")
