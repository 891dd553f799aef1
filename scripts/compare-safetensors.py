#!/usr/bin/env python3
"""Compares the tensors of two .safetensors files byte for byte, ignoring the header
metadata (dates, provenance). Exit 0 when every tensor has the same name, dtype, shape
and bytes; 1 otherwise, listing the differences. Used to check that a training graph and
`ng-train` with the same preset produce the same weights."""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    return {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}


def main():
    if len(sys.argv) != 3:
        print("usage: compare-safetensors.py A.safetensors B.safetensors", file=sys.stderr)
        return 2
    a, b = read(sys.argv[1]), read(sys.argv[2])
    problems = [f"only in {sys.argv[1]}: {k}" for k in sorted(a.keys() - b.keys())]
    problems += [f"only in {sys.argv[2]}: {k}" for k in sorted(b.keys() - a.keys())]
    problems += [f"differs: {k}" for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
    for p in problems:
        print(p)
    print(f"{len(a.keys() & b.keys())} common tensors, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
