"""Undoes bench/gpu/pack.ts on the GPU machine (Python is there, Node is not): every `X.xz` becomes X, every
`X.planed.xz` (f16 weights stored high bytes first, then low bytes) becomes X with its bytes interleaved again.
python3 unpack.py [DIR]"""
import lzma
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
for folder, _, names in os.walk(root):
    for name in names:
        if not name.endswith(".xz"):
            continue
        path = os.path.join(folder, name)
        data = lzma.decompress(open(path, "rb").read())
        if name.endswith(".planed.xz"):
            half, planed = len(data) // 2, data
            data = bytearray(len(planed))
            data[1:2 * half:2], data[0:2 * half:2] = planed[:half], planed[half:2 * half]
            data[2 * half:] = planed[2 * half:]
            dst = path[:-len(".planed.xz")]
        else:
            dst = path[:-len(".xz")]
        open(dst, "wb").write(data)
        os.remove(path)
os.chmod(os.path.join(root, "node"), 0o755)
