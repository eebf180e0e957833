#!/usr/bin/python3
"""Prove that no image carries this machine's egress CA.

  ca-scan.py patterns HOST_BUNDLE MOZILLA_DIR > PATTERNS
      Write search patterns: two base64 lines from the middle of each certificate that is in the
      host bundle but not among Debian's mozilla certificates (the locally added CAs).
  ca-scan.py added HOST_BUNDLE MOZILLA_DIR > CAS.pem
      Write the locally added CAs themselves, as PEM (tests use the egress proxy's CA alone).
  ca-scan.py scan PATTERNS < docker-save-stream
      Search every blob of a `docker save` stream (config, manifests and every layer, gzip/zstd
      layers decompressed) for any pattern. Layers are scanned, not just the final filesystem, so a
      CA added in one layer and deleted in a later one is still caught. Exit 0 clean, 1 found.
  ca-scan.py selftest PATTERNS HOST_BUNDLE
      Scan a gzip-compressed layer that does contain the host bundle: must report it, or the scan
      proves nothing.
"""
import glob, gzip, io, os, subprocess, sys, tarfile, tempfile, zlib

CHUNK = 1 << 20


def certs(text):
    out, cur = [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("-----BEGIN CERTIFICATE"):
            cur = []
        elif line.startswith("-----END CERTIFICATE"):
            if cur:
                out.append(cur)
            cur = None
        elif cur is not None and line:
            cur.append(line)
    return out


def added_certs(bundle, mozdir):
    """The certificates (as base64 lines) in the host bundle but not among Debian's."""
    known = set()
    for f in glob.glob(os.path.join(mozdir, "**", "*.crt"), recursive=True):
        for c in certs(open(f, errors="replace").read()):
            known.add("".join(c))
    return [c for c in certs(open(bundle, errors="replace").read())
            if "".join(c) not in known and len(c) >= 8]


def cmd_patterns(bundle, mozdir):
    for c in added_certs(bundle, mozdir):
        for line in (c[len(c) // 3], c[2 * len(c) // 3]):
            if len(line) >= 48:
                print(line)


def search(stream, pats, name):
    tail = b""
    keep = max(len(p) for p in pats)
    while True:
        buf = stream.read(CHUNK)
        if not buf:
            return None
        data = tail + buf
        for p in pats:
            if p in data:
                return f"{name}: contains {p[:24].decode()}..."
        tail = data[-keep:]


class Inflate:
    """File-like gzip decompressor that copes with concatenated members."""

    def __init__(self, f):
        self.f, self.d = f, zlib.decompressobj(31)

    def read(self, n):
        while True:
            raw = self.f.read(n)
            if not raw:
                return self.d.flush()
            out = self.d.decompress(raw)
            while self.d.eof and self.d.unused_data:
                rest = self.d.unused_data
                self.d = zlib.decompressobj(31)
                out += self.d.decompress(rest)
            if out:
                return out


def scan_member(f, pats, name):
    head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return search(Inflate(io.BufferedReader(Prefixed(head, f))), pats, name + " (gzip)")
    if head == b"\x28\xb5\x2f\xfd":
        with tempfile.TemporaryFile() as t:
            t.write(head)
            while True:
                b = f.read(CHUNK)
                if not b:
                    break
                t.write(b)
            t.seek(0)
            p = subprocess.Popen(["zstd", "-dc"], stdin=t, stdout=subprocess.PIPE)
            hit = search(p.stdout, pats, name + " (zstd)")
            p.kill()
            p.wait()
            return hit
    return search(Prefixed(head, f), pats, name)


class Prefixed(io.RawIOBase):
    def __init__(self, head, f):
        self.head, self.f = head, f

    def readable(self):
        return True

    def readinto(self, b):
        if self.head:
            n = min(len(b), len(self.head))
            b[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, n=-1):
        if self.head:
            h, self.head = self.head, b""
            return h
        return self.f.read(n)


def scan(stream, pats):
    found = []
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for m in tar:
            if m.isfile():
                hit = scan_member(tar.extractfile(m), pats, m.name)
                if hit:
                    found.append(hit)
    return found


def load(path):
    return [l.strip().encode() for l in open(path) if l.strip()]


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "patterns":
        cmd_patterns(sys.argv[2], sys.argv[3])
    elif cmd == "added":
        for c in added_certs(sys.argv[2], sys.argv[3]):
            print("-----BEGIN CERTIFICATE-----\n" + "\n".join(c) + "\n-----END CERTIFICATE-----")
    elif cmd == "scan":
        pats = load(sys.argv[2])
        if not pats:
            print("no locally added CA on this host: nothing to find")
            return 0
        found = scan(sys.stdin.buffer, pats)
        for f in found:
            print(f)
        return 1 if found else 0
    elif cmd == "selftest":
        pats = load(sys.argv[2])
        if not pats:
            return 0
        layer, outer = io.BytesIO(), io.BytesIO()
        with tarfile.open(fileobj=layer, mode="w") as t:
            t.add(sys.argv[3], arcname="etc/ssl/certs/ca-certificates.crt")
        blob = gzip.compress(layer.getvalue())
        with tarfile.open(fileobj=outer, mode="w") as t:
            ti = tarfile.TarInfo("blobs/sha256/selftest")
            ti.size = len(blob)
            t.addfile(ti, io.BytesIO(blob))
        outer.seek(0)
        if not scan(outer, pats):
            print("selftest: the scan missed a CA it should have found", file=sys.stderr)
            return 1
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
