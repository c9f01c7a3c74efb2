#!/usr/bin/env python3
"""everysec-idle.py — under appendfsync everysec, writes followed by silence
are made durable within about two seconds.

Workers write WAL batches themselves without waking the WAL thread; the
thread's once-a-second tick is what syncs the tail once writes stop.  A burst
of SETs, then nothing: INFO holdfast's wal_durable_lsn must reach
wal_last_lsn within 3 s (it never did when the tick only ran while unsynced
bytes were known at the moment the thread went to sleep).  Twice: right after
start, and after an idle second.
Exit 0 if every check passed, 1 otherwise."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Reporter, Server, cleanup, require_server, tempdir  # noqa: E402


def info(c):
    out = {}
    for ln in c.cmd("INFO", "holdfast").decode().splitlines():
        if ":" in ln:
            k, v = ln.split(":", 1)
            out[k] = v.strip()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    binary = a.server or require_server()
    rep = Reporter("everysec-idle")
    work = tempdir("hf-everysec-idle-")
    data = os.path.join(work, "data")
    os.mkdir(data)
    srv = Server(binary, data, work, ["--appendfsync", "everysec"], name="s").start()
    c = srv.wait_ready()
    if not rep.ok(c is not None, "the server did not start:\n%s" % srv.log()[-2000:]):
        return 1
    for rnd, pause in enumerate((0.0, 1.5)):
        time.sleep(pause)
        c.pipeline([["SET", "k%d:%d" % (rnd, i), "v"] for i in range(50)])
        last = int(info(c)["wal_last_lsn"])
        t0 = time.time()
        durable = 0
        while time.time() - t0 < 3.0:
            durable = int(info(c)["wal_durable_lsn"])
            if durable >= last:
                break
            time.sleep(0.05)
        rep.ok(durable >= last, "round %d: wal_durable_lsn %d, want %d within 3 s of the last write"
               % (rnd, durable, last))
    c.close()
    srv.stop()
    print("everysec-idle: %d checks, %d failed" % (rep.checks, rep.failed))
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
