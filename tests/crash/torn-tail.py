#!/usr/bin/env python3
"""torn-tail.py — the WAL's tail torn at every byte, garbage after it, damage in
the middle.

A fresh server gets 20 SETs (each acknowledged) and is killed with SIGKILL.
Then, each time on a fresh copy of that data dir:
  * the last segment is cut at EVERY byte offset within its last 3 records:
    the server must start, keep exactly the records before the cut, log the
    truncation with the number of bytes dropped when the cut is mid-record (and
    not log one on a record boundary), and leave the segment cut back to the
    last whole record;
  * after a whole record (the last 3 boundaries and the end) random garbage,
    zeros, or a record header that promises more than there is are appended:
    same expectations;
  * a new segment holding only part of its header is a torn tail too;
  * damage in the middle (a flipped byte in the first record or in record 10,
    a bad segment header, a hole of zeros followed by valid records): the
    server must refuse to start (exit 1) naming the file and the offset, and
    `holdfast-admin check DIR` (if src/holdfast-admin exists) must report the
    same file and offset.
Exit 0 if every check passed, 1 otherwise."""
import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import (Reporter, Server, SEG_HEADER, cleanup, find_admin, require_server, tempdir,  # noqa: E402
                     wal_records, wal_segments)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--records", type=int, default=20)
    ap.add_argument("--last", type=int, default=3, help="cut at every offset within this many last records")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    server = a.server or require_server()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = tempdir("hf-torn-")
    rep = Reporter("torn-tail")
    print("torn-tail: seed %d, server %s, work dir %s" % (seed, server, work), flush=True)
    extra = ["--snapshot-interval", "0", "--snapshot-wal-bytes", "0", "--appendfsync", "always"]

    base = os.path.join(work, "base")
    os.mkdir(base)
    srv = Server(server, base, work, extra, name="base").start()
    c = srv.wait_ready()
    if c is None:
        print("FAIL: the server did not start:\n" + srv.log())
        return 1
    keys, values = [], {}
    for i in range(1, a.records + 1):
        k = "t:%02d" % i
        v = ("value-%02d-" % i) + "x" * ((i * 7) % 23)
        rep.ok(c.cmd("SET", k, v) == "OK", "SET %s" % k)
        keys.append(k)
        values[k] = v.encode()
    c.close()
    srv.kill9()

    segs = wal_segments(base)
    seg = segs[-1]
    segname = os.path.basename(seg)
    recs = wal_records(seg)
    size = os.path.getsize(seg)
    if not rep.ok(len(recs) == a.records and recs[-1][1] == size,
                  "the segment holds %d whole records and nothing else (found %d, size %d)" %
                  (a.records, len(recs), size)):
        cleanup(work, True)
        return 1
    ends = [SEG_HEADER] + [e for (_, e, _) in recs]     # ends[n] = offset after n records
    with open(seg, "rb") as f:
        pristine = f.read()

    counts = {"starts": 0, "torn": 0, "refused": 0}

    def fresh_copy():
        d = os.path.join(work, "case")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(base, d)
        return d, os.path.join(d, "wal", segname)

    def expect_start(name, mutate, n_expect, dropped):
        """dropped: bytes the server must say it truncated (None: no truncation)."""
        d, path = fresh_copy()
        mutate(d, path)
        s = Server(server, d, work, extra, name="case").start()
        counts["starts"] += 1
        cl = s.wait_ready(30)
        log = s.log()
        if cl is None:
            rep.ok(False, "%s: the server exited with status %s instead of starting:\n%s" %
                   (name, s.proc.returncode, log[-1500:]))
            return
        try:
            replies = cl.pipeline([["GET", k] for k in keys] + [["DBSIZE"]])
        finally:
            cl.close()
            s.kill9()
        bad = [k for i, k in enumerate(keys) if replies[i] != (values[k] if i < n_expect else None)]
        rep.ok(not bad and replies[-1] == n_expect,
               "%s: expected exactly the first %d records, got DBSIZE %s, wrong keys %s" %
               (name, n_expect, replies[-1], bad[:5]))
        m = re.search(r"WAL tail was torn \((.*)\): truncated (\d+) bytes", log)
        if dropped is None:
            rep.ok(m is None, "%s: no truncation expected, but the log says: %s" % (name, m and m.group(0)))
        else:
            counts["torn"] += 1
            rep.ok(m is not None and int(m.group(2)) == dropped,
                   "%s: expected a log line saying %d bytes were truncated, got: %s" %
                   (name, dropped, m.group(0) if m else "(none)"))
        if os.path.exists(path):
            rep.ok(os.path.getsize(path) == ends[n_expect],
                   "%s: the segment should be cut back to %d bytes, it has %d" %
                   (name, ends[n_expect], os.path.getsize(path)))
        if a.verbose:
            print("  ok: %s" % name, flush=True)

    def expect_refusal(name, mutate, offset, file=segname):
        d, path = fresh_copy()
        mutate(d, path)
        s = Server(server, d, work, extra, name="case").start()
        counts["starts"] += 1
        rc = s.wait_exit(30)
        if rc is None:
            s.kill9()
            rep.ok(False, "%s: the server started (or hung) on a damaged WAL; it must refuse" % name)
            return
        counts["refused"] += 1
        log = s.log()
        rep.ok(rc == 1, "%s: exit status %s, expected 1" % (name, rc))
        where = "offset %d" % offset
        rep.ok(file in log and where in log,
               "%s: the refusal must name %s and '%s'; the server said:\n%s" % (name, file, where, log[-800:]))
        admin = find_admin(server)
        if admin:
            p = subprocess.run([admin, "check", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            out = p.stdout.decode(errors="replace")
            rep.ok(p.returncode != 0 and file in out and where in out,
                   "%s: holdfast-admin check must fail naming %s and '%s' (status %d):\n%s" %
                   (name, file, where, p.returncode, out[-800:]))
        if a.verbose:
            print("  ok: %s" % name, flush=True)

    def truncate_to(o):
        def m(d, path):
            os.truncate(path, o)
        return m

    # 1. every byte offset within the last records
    first = recs[-a.last][0]
    for o in range(first, size + 1):
        n = max(i for i in range(len(ends)) if ends[i] <= o)
        expect_start("cut at %d" % o, truncate_to(o), n, None if o == ends[n] else o - ends[n])
    print("torn-tail: cut at each of the %d offsets %d..%d: %s" %
          (size + 1 - first, first, size, "ok" if not rep.failed else "FAILED"), flush=True)
    f0 = rep.failed

    # 2. garbage, zeros and lying headers after a whole record
    for n in range(a.records - a.last, a.records + 1):
        b = ends[n]
        tails = []
        for ln in (1, 5, 15, 16, 17, 44, 100, 4096):
            tails.append(("%d random bytes" % ln, bytes(rng.randrange(256) for _ in range(ln))))
        for ln in (1, 15, 16, 28, 44, 4096, 70000):
            tails.append(("%d zeros" % ln, bytes(ln)))
        nxt = recs[n - 1][2] + 1 if n else 1
        tails.append(("a header promising 4 GB", struct.pack("<IIQ", 0xFFFFFF00, 0x12345678, nxt)))
        tails.append(("a header promising 100 bytes, 40 there",
                      struct.pack("<IIQ", 100, 0x12345678, nxt) + bytes(rng.randrange(256) for _ in range(40))))
        tails.append(("a whole record with a bad CRC",
                      struct.pack("<IIQ", 40, 0xdeadbeef, nxt) + bytes(rng.randrange(256) for _ in range(40))))
        for what, tail in tails:
            def m(d, path, b=b, tail=tail):
                os.truncate(path, b)
                with open(path, "ab") as f:
                    f.write(tail)
            expect_start("after record %d: %s" % (n, what), m, n, len(tail))
    print("torn-tail: garbage, zeros and bad headers after whole records: %s" %
          ("ok" if rep.failed == f0 else "FAILED"), flush=True)
    f0 = rep.failed

    # 3. a segment whose header never became durable
    nxt = recs[-1][2] + 1
    hdr = bytearray(32)
    hdr[0:8] = b"HOLDFWAL"
    for ln in (0, 10, 31):
        def m(d, path, ln=ln):
            with open(os.path.join(d, "wal", "%020d.log" % nxt), "wb") as f:
                f.write(bytes(hdr[:ln]))
        expect_start("a new segment with %d bytes of header" % ln, m, a.records, ln if ln else 0)
    print("torn-tail: a torn segment header: %s" % ("ok" if rep.failed == f0 else "FAILED"), flush=True)
    f0 = rep.failed

    # 4. damage in the middle: refuse to start
    def flip(at):
        def m(d, path):
            with open(path, "r+b") as f:
                f.seek(at)
                v = f.read(1)[0]
                f.seek(at)
                f.write(bytes([v ^ 0x5a]))
        return m
    r1, r10 = recs[0], recs[min(9, len(recs) - 1)]
    expect_refusal("a flipped byte in the first record's payload", flip(r1[0] + 20), r1[0])
    expect_refusal("a flipped byte in the first record's length", flip(r1[0]), r1[0])
    expect_refusal("a flipped byte in the first record's LSN", flip(r1[0] + 9), r1[0])
    expect_refusal("a flipped byte in record 10", flip(r10[0] + 17), r10[0])
    expect_refusal("a flipped byte in the segment header", flip(3), 0)

    def hole(d, path):
        # a zeroed stretch inside the second-to-last record, the last one intact
        with open(path, "r+b") as f:
            f.seek(recs[-2][0])
            f.write(bytes(recs[-2][1] - recs[-2][0]))
    expect_refusal("zeros over record %d with record %d intact after them" % (len(recs) - 1, len(recs)),
                   hole, recs[-2][0])
    print("torn-tail: damage in the middle refused%s: %s" %
          (" (holdfast-admin check too)" if find_admin(server) else " (no holdfast-admin binary: its check skipped)",
           "ok" if rep.failed == f0 else "FAILED"), flush=True)

    print("torn-tail: %d server starts, %d truncations checked, %d refusals checked, %d checks, %s" %
          (counts["starts"], counts["torn"], counts["refused"], rep.checks,
           "all ok" if not rep.failed else "%d FAILED" % rep.failed), flush=True)
    cleanup(work, a.keep or rep.failed)
    if rep.failed:
        print("reproduce with: %s --seed %d --keep" % (sys.argv[0], seed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
