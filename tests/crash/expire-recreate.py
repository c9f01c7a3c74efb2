#!/usr/bin/env python3
"""expire-recreate.py — a key that expired and was created again recovers as
the new key only.

Keys of every type get a 100 ms TTL; after they expire, commands that change
a collection in place (and log only themselves: LPUSH, RPUSH, HSET, SADD,
ZADD, SETBIT) create them anew, with a different type for one of them.  After
kill -9 the server must start and hold exactly the new keys: replaying those
commands onto the old, expired values would merge them (and keep the old
expiry) or fail with WRONGTYPE.  Once from the WAL alone, once with a
snapshot taken while the old keys were still alive.
Exit 0 if every check passed, 1 otherwise."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Reporter, Server, cleanup, require_server, tempdir  # noqa: E402

OLD = [["SET", "k1", "v", "PX", "100"],
       ["RPUSH", "k2", "a", "b"], ["PEXPIRE", "k2", "100"],
       ["HSET", "k3", "f", "old"], ["PEXPIRE", "k3", "100"],
       ["SADD", "k4", "a"], ["PEXPIRE", "k4", "100"],
       ["ZADD", "k5", "1", "a"], ["PEXPIRE", "k5", "100"],
       ["SETBIT", "k6", "100", "1"], ["PEXPIRE", "k6", "100"]]
NEW = [["LPUSH", "k1", "x"], ["RPUSH", "k2", "new"], ["HSET", "k3", "g", "new"],
       ["SADD", "k4", "b"], ["ZADD", "k5", "2", "b"], ["SETBIT", "k6", "1", "1"]]
WANT = [("LRANGE", "k1", [b"x"]), ("LRANGE", "k2", [b"new"]), ("HGETALL", "k3", [b"g", b"new"]),
        ("SMEMBERS", "k4", [b"b"]), ("ZRANGE", "k5", [b"b"]), ("GET", "k6", b"@")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    binary = a.server or require_server()
    rep = Reporter("expire-recreate")
    work = tempdir("hf-expire-recreate-")
    for snapshot in (False, True):
        data = os.path.join(work, "snap" if snapshot else "wal")
        os.mkdir(data)
        srv = Server(binary, data, work, name="s%d" % snapshot).start()
        c = srv.wait_ready()
        c.pipeline(OLD)
        if snapshot:
            c.cmd("SAVE")
        time.sleep(0.3)
        c.pipeline(NEW)
        c.close()
        srv.kill9()
        c = srv.start().wait_ready()
        if not rep.ok(c is not None, "restart (%s): the server did not start:\n%s" %
                      ("snapshot" if snapshot else "WAL", srv.log()[-2000:])):
            continue
        for cmd, key, want in WANT:
            args = [cmd, key] + (["0", "-1"] if cmd in ("LRANGE", "ZRANGE") else [])
            got = c.cmd(*args)
            rep.ok(got == want, "%s: %s %s = %r, want %r" % ("snapshot" if snapshot else "WAL", cmd, key, got, want))
            ttl = c.cmd("PTTL", key)
            rep.ok(ttl == -1, "%s: %s has PTTL %r, want -1 (the old expiry must not come back)" %
                   ("snapshot" if snapshot else "WAL", key, ttl))
        c.close()
        srv.stop()
    print("expire-recreate: %d checks, %d failed" % (rep.checks, rep.failed))
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
