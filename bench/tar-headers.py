"""Prints the raw headers of a gzip-compressed tar layer as JSON, for bench/image-compare.mjs.

Reads the 512-byte ustar headers one by one, without a tar library, so that header fields that
`tar -tv` does not show (magic and version, the exact octal formatting, checksums, user and group
names, PAX and GNU extension records, the end-of-archive padding) can be compared byte for byte.
Usage: python3 tar-headers.py LAYER.tar.gz
"""

import gzip
import json
import sys

# The ustar header layout (POSIX.1-1988 plus the ustar/GNU magic and names).
FIELDS = [
    ("name", 100), ("mode", 8), ("uid", 8), ("gid", 8), ("size", 12), ("mtime", 12),
    ("chksum", 8), ("typeflag", 1), ("linkname", 100), ("magic", 6), ("version", 2),
    ("uname", 32), ("gname", 32), ("devmajor", 8), ("devminor", 8), ("prefix", 155), ("pad", 12),
]
# String fields whose NUL padding carries no information.
STRINGS = {"name", "linkname", "uname", "gname", "prefix"}
# Extension headers whose data is text worth showing.
EXTENSIONS = {"x", "g", "L", "K"}


def entry_size(field):
    """The data size in a size field: octal text, or base-256 when the top bit is set."""
    if field[0] & 0x80:
        return int.from_bytes(field[1:], "big")
    text = field.strip(b"\0 ")
    return int(text, 8) if text else 0


def main(path):
    with gzip.open(path) as f:
        raw = f.read()
    headers = []
    pos = 0
    while pos + 512 <= len(raw):
        block = raw[pos:pos + 512]
        if block == b"\0" * 512:
            break
        fields, offset = {}, 0
        for name, length in FIELDS:
            value = block[offset:offset + length]
            fields[name] = (value.rstrip(b"\0") if name in STRINGS else value).decode("latin-1")
            offset += length
        size = entry_size(block[124:136])
        entry = {"offset": pos, "header": fields}
        if fields["typeflag"] in EXTENSIONS:
            entry["data"] = raw[pos + 512:pos + 512 + size].decode("latin-1")
        headers.append(entry)
        pos += 512 + (size + 511) // 512 * 512
    trailer = raw[pos:]
    print(json.dumps({
        "uncompressedBytes": len(raw),
        "endOfEntries": pos,
        "trailerBytes": len(trailer),
        "trailerAllZero": trailer == b"\0" * len(trailer),
        "headers": headers,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
