#!/usr/bin/env python3
"""mkinitramfs.py - write a gzip'd "newc" cpio archive (the Linux initramfs format,
Documentation/driver-api/early-userspace/buffer-format.rst) from a list of entries on stdin:

    dir  PATH MODE
    file PATH SOURCE MODE
    link PATH TARGET            (symbolic link)
    node PATH MODE c|b MAJOR MINOR

Owners are root, times are 0, inode numbers count up from 1: the same input always gives the same bytes, and
device nodes need no root rights (they exist only in the archive). Usage: mkinitramfs.py OUT.gz < spec
"""
import gzip
import stat
import sys


def header(ino, mode, nlink, size, rmaj, rmin, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rmaj, rmin, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def entry(out, ino, mode, name, data=b"", nlink=1, rmaj=0, rmin=0):
    h = header(ino, mode, nlink, len(data), rmaj, rmin, name) + name.encode() + b"\0"
    out.write(h + pad4(len(h)) + data + pad4(len(data)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkinitramfs.py OUT.gz < spec")
    with open(sys.argv[1], "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        ino = 0
        for lineno, line in enumerate(sys.stdin, 1):
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            ino += 1
            path = w[1].lstrip("/")
            try:
                if w[0] == "dir":
                    entry(out, ino, stat.S_IFDIR | int(w[2], 8), path, nlink=2)
                elif w[0] == "file":
                    with open(w[2], "rb") as f:
                        entry(out, ino, stat.S_IFREG | int(w[3], 8), path, f.read())
                elif w[0] == "link":
                    entry(out, ino, stat.S_IFLNK | 0o777, path, w[2].encode())
                elif w[0] == "node":
                    kind = stat.S_IFCHR if w[3] == "c" else stat.S_IFBLK
                    entry(out, ino, kind | int(w[2], 8), path, rmaj=int(w[4]), rmin=int(w[5]))
                else:
                    raise ValueError("unknown entry kind " + w[0])
            except (IndexError, ValueError, OSError) as e:
                sys.exit("mkinitramfs.py: line %d: %s" % (lineno, e))
        entry(out, 0, 0, "TRAILER!!!")


if __name__ == "__main__":
    main()
