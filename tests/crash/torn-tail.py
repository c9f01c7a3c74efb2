#!/usr/bin/env python3
"""torn-tail.py — the WAL's tail torn at every byte, garbage after it, holes in
the unsynced tail, damage in the middle.

A fresh server gets 20 SETs (each acknowledged under appendfsync always, each
its own batch: a batch mark, then the record) and is killed with SIGKILL.
Then, each time on a fresh copy of that data dir:
  * the last segment is cut at EVERY byte offset within its last 3 records
    (their batch marks included): the server must start, keep exactly the
    records before the cut, log the truncation with the number of bytes
    dropped when the cut is inside a frame (and not log one on a frame
    boundary), and leave the segment cut back to the last whole frame;
  * after a whole record (the last 3 boundaries and the end) random garbage,
    zeros, or a record header that promises more than there is are appended:
    same expectations;
  * a new segment holding only part of its header, or a header and part of
    its first mark, is a torn tail too;
  * a hole in the UNSYNCED tail: 10 more SETs under appendfsync no (never
    fsynced: every batch mark after them records LSN 20 as the durable
    point), then records 23-25 zeroed with 26-30 intact (a page lost in
    write-back, later pages written): the server must start with the first
    22 records, truncate at record 23, say that no batch mark records it as
    durable, and `holdfast-admin check` must report the same torn tail;
  * damage in the middle (a flipped byte in the first record, in record 10 or
    in a batch mark, a bad segment header, zeros over record 19 with record 20
    intact — record 20's batch mark records 19 as durable — and the same hole
    as above after a restart synced those records and wrote one more): the
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
                     mark, seg_header, wal_frames, wal_records, wal_segments)


def add_sets(server, src, dst, work, extra, prefix, n, keys, values, rep):
    """Copies data dir src to dst, starts a server on it with extra, SETs n
    keys prefix:01.. (each acknowledged, one at a time), kills it with
    SIGKILL.  Returns False if the server did not start."""
    shutil.copytree(src, dst)
    srv = Server(server, dst, work, extra, name=os.path.basename(dst)).start()
    c = srv.wait_ready()
    if c is None:
        print("FAIL: the server did not start on %s:\n%s" % (dst, srv.log()))
        return False
    for i in range(1, n + 1):
        k = "%s:%02d" % (prefix, i)
        v = ("value-%s%02d-" % (prefix, i)) + "y" * ((i * 5) % 17)
        rep.ok(c.cmd("SET", k, v) == "OK", "SET %s" % k)
        keys.append(k)
        values[k] = v.encode()
    c.close()
    srv.kill9()
    return True


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
    base_args = ["--snapshot-interval", "0", "--snapshot-wal-bytes", "0"]
    extra = base_args + ["--appendfsync", "always"]

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
    # A segment is preallocated: after a kill -9 zeros follow the last batch.
    # Keep that state for a case of its own, and cut them off the base the
    # other cases start from (as recovery would).
    frames = wal_frames(seg)
    with open(seg, "rb") as f:
        data = f.read()
    data_end = frames[-1][2] if frames else SEG_HEADER
    prealloc_zeros = len(data) - data_end
    rep.ok(data[data_end:] == bytes(prealloc_zeros),
           "after the last frame (offset %d) the segment holds only zeros (preallocated)" % data_end)
    prealloc = os.path.join(work, "prealloc")
    shutil.copytree(base, prealloc)
    os.truncate(seg, data_end)
    recs = wal_records(seg)
    frames = wal_frames(seg)
    size = os.path.getsize(seg)
    if not rep.ok(len(recs) == a.records and recs[-1][1] == size and frames[-1][2] == size,
                  "the segment holds %d whole records (and their batch marks) and nothing else (found %d, size %d)" %
                  (a.records, len(recs), size)):
        cleanup(work, True)
        return 1
    ends = [SEG_HEADER] + [e for (_, e, _) in recs]     # ends[n] = offset after n records
    bounds = [SEG_HEADER] + [e for (_, _, e, _) in frames]   # every frame boundary
    marks = {e: o for (kind, o, e, _) in frames if kind == "mark"}   # a mark's end -> its offset

    counts = {"starts": 0, "torn": 0, "refused": 0}

    def fresh_copy(src):
        d = os.path.join(work, "case")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(src, d)
        return d, os.path.join(d, "wal", segname)

    def admin_check(d):
        admin = find_admin(server)
        if not admin:
            return None, ""
        p = subprocess.run([admin, "check", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return p.returncode, p.stdout.decode(errors="replace")

    def expect_start(name, mutate, n_expect, dropped, src=base, cut_to=None, note=None, check=False):
        """dropped: bytes the server must say it truncated (None: no truncation);
        cut_to: the segment's size afterwards (default: the end of record n_expect);
        note: text the truncation's log line must hold; check: holdfast-admin check
        must report the same torn tail first."""
        d, path = fresh_copy(src)
        mutate(d, path)
        if check:
            rc, out = admin_check(d)
            if rc is not None:
                m = re.search(r"^wal: torn tail: .* at offset (\d+); the server will truncate (\d+) bytes", out, re.M)
                rep.ok(rc == 0 and m is not None and int(m.group(2)) == dropped and
                       int(m.group(1)) == os.path.getsize(path) - dropped,
                       "%s: holdfast-admin check must report a torn tail of %d bytes at offset %d (status %s):\n%s" %
                       (name, dropped, os.path.getsize(path) - dropped, rc, out[-800:]))
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
        m = re.search(r"WAL tail was torn \((.*)\): truncated (\d+) bytes(.*)", log)
        if dropped is None:
            rep.ok(m is None, "%s: no truncation expected, but the log says: %s" % (name, m and m.group(0)))
        else:
            counts["torn"] += 1
            rep.ok(m is not None and int(m.group(2)) == dropped,
                   "%s: expected a log line saying %d bytes were truncated, got: %s" %
                   (name, dropped, m.group(0) if m else "(none)"))
            if note:
                rep.ok(m is not None and note in m.group(3),
                       "%s: the truncation's log line should say '%s': %s" % (name, note, m and m.group(0)))
        want = ends[n_expect] if cut_to is None else cut_to
        if os.path.exists(path):
            # the server preallocates the segment again when it appends to
            # it: what it kept ends at `want`, zeros (or nothing) follow
            with open(path, "rb") as f:
                head = f.read(want + 4096)
                fr = wal_frames(path, head)
                kept = fr[-1][2] if fr else SEG_HEADER
                nonzero = head[want:].strip(b"\0") != b""
                f.seek(len(head))
                while not nonzero:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    nonzero = chunk != bytes(len(chunk))
            rep.ok(kept == want and not nonzero,
                   "%s: the segment should be cut back to %d bytes (then only preallocated zeros), it has %d "
                   "bytes of frames%s" % (name, want, kept, ", and non-zero bytes after them" if nonzero else ""))
        if a.verbose:
            print("  ok: %s" % name, flush=True)

    def expect_refusal(name, mutate, offset, file=segname, src=base, note=None):
        d, path = fresh_copy(src)
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
        if note:
            rep.ok(note in log, "%s: the server's log should say '%s':\n%s" % (name, note, log[-800:]))
        rc, out = admin_check(d)
        if rc is not None:
            rep.ok(rc != 0 and file in out and where in out,
                   "%s: holdfast-admin check must fail naming %s and '%s' (status %d):\n%s" %
                   (name, file, where, rc, out[-800:]))
        if a.verbose:
            print("  ok: %s" % name, flush=True)

    def truncate_to(o):
        def m(d, path):
            os.truncate(path, o)
        return m

    # 1. every byte offset within the last records and their batch marks
    first = max(b for b in bounds if b <= recs[-a.last][0] and b not in marks)
    for o in range(first, size + 1):
        n = max(i for i in range(len(ends)) if ends[i] <= o)
        b = max(x for x in bounds if x <= o)
        expect_start("cut at %d" % o, truncate_to(o), n, None if o == b else o - b, cut_to=b)
    print("torn-tail: cut at each of the %d offsets %d..%d: %s" %
          (size + 1 - first, first, size, "ok" if not rep.failed else "FAILED"), flush=True)
    f0 = rep.failed

    # 1b. the state a kill -9 leaves: the preallocated zeros after the last batch
    if prealloc_zeros:
        expect_start("the segment's preallocated zeros after the last batch", lambda d, path: None, a.records,
                     prealloc_zeros, src=prealloc, cut_to=size, note="only zeros")
    print("torn-tail: %d preallocated zero bytes after the last batch cut off: %s" %
          (prealloc_zeros, "ok" if rep.failed == f0 else "FAILED"), flush=True)
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
        tails.append(("a batch mark with a bad CRC",
                      struct.pack("<IIQQ", 0xFFFFFFFF, 0x12345678, nxt - 1, nxt)))
        for what, tail in tails:
            def m(d, path, b=b, tail=tail):
                os.truncate(path, b)
                with open(path, "ab") as f:
                    f.write(tail)
            expect_start("after record %d: %s" % (n, what), m, n, len(tail))
    print("torn-tail: garbage, zeros and bad headers after whole records: %s" %
          ("ok" if rep.failed == f0 else "FAILED"), flush=True)
    f0 = rep.failed

    # 3. a segment whose creation never became durable
    nxt = recs[-1][2] + 1
    hdr = seg_header(nxt) + mark(recs[-1][2], nxt)
    for ln in (0, 10, 31, 32 + 10):
        def m(d, path, ln=ln):
            with open(os.path.join(d, "wal", "%020d.log" % nxt), "wb") as f:
                f.write(hdr[:ln])
        expect_start("a new segment with %d bytes of its header and first mark" % ln, m, a.records,
                     ln - SEG_HEADER if ln > SEG_HEADER else ln, cut_to=size)
    # a preallocated new segment whose length reached the disk but whose
    # header did not: all zeros, longer than a header and mark
    zlen = 1 << 20
    def mz(d, path):
        with open(os.path.join(d, "wal", "%020d.log" % nxt), "wb") as f:
            f.write(bytes(zlen))
    expect_start("a new segment of %d zeros (its length durable, its header not)" % zlen, mz, a.records,
                 zlen, cut_to=size)
    print("torn-tail: a torn segment header: %s" % ("ok" if rep.failed == f0 else "FAILED"), flush=True)
    f0 = rep.failed

    # 4. holes in the unsynced tail: start, cut at the hole
    more = 10
    nosync = os.path.join(work, "nosync")
    if not add_sets(server, base, nosync, work, base_args + ["--appendfsync", "no"], "u", more, keys, values, rep):
        cleanup(work, True)
        return 1
    recs2 = wal_records(os.path.join(nosync, "wal", segname))
    # cut the preallocated zeros after the last batch, as for the base
    fr2 = wal_frames(os.path.join(nosync, "wal", segname))
    os.truncate(os.path.join(nosync, "wal", segname), fr2[-1][2] if fr2 else SEG_HEADER)
    size2 = os.path.getsize(os.path.join(nosync, "wal", segname))
    if rep.ok(len(recs2) == a.records + more and recs2[-1][1] == size2,
              "after %d SETs under appendfsync no the segment holds %d records (found %d)" %
              (more, a.records + more, len(recs2))):
        h0, h1 = recs2[a.records + 2][0], recs2[a.records + 4][1]   # records 23..25, marks between them

        def zero_hole(d, path):
            with open(path, "r+b") as f:
                f.seek(h0)
                f.write(bytes(h1 - h0))
        expect_start("zeros over records %d-%d in the unsynced tail, records %d-%d intact after them" %
                     (a.records + 3, a.records + 5, a.records + 6, a.records + more),
                     zero_hole, a.records + 2, size2 - h0, src=nosync, cut_to=h0,
                     note="no batch mark after it records LSN %d as durable" % (a.records + 3), check=True)

        # the same hole once a restart synced those records and wrote one more
        synced = os.path.join(work, "synced")
        if add_sets(server, nosync, synced, work, extra, "v", 1, keys, values, rep):
            expect_refusal("the same zeros after a restart synced records %d-%d" % (a.records + 3, a.records + 5),
                           zero_hole, h0, src=synced, note="LSN %d had been made durable" % (a.records + 3))
    print("torn-tail: a hole in the unsynced tail cut off, the same hole once synced refused: %s" %
          ("ok" if rep.failed == f0 else "FAILED"), flush=True)
    f0 = rep.failed

    # 5. damage in the middle: refuse to start
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
    mark10 = marks.get(r10[0])
    if rep.ok(mark10 is not None, "record 10 should follow its batch mark"):
        expect_refusal("a flipped byte in record 10's batch mark", flip(mark10 + 12), mark10)
    expect_refusal("a flipped byte in the segment header", flip(3), 0)

    def hole(d, path):
        # a zeroed stretch inside the second-to-last record, the last one intact
        with open(path, "r+b") as f:
            f.seek(recs[-2][0])
            f.write(bytes(recs[-2][1] - recs[-2][0]))
    expect_refusal("zeros over record %d with record %d intact after them (its batch mark records %d as durable)" %
                   (len(recs) - 1, len(recs), len(recs) - 1), hole, recs[-2][0])
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
