#!/usr/bin/env python3
"""two-servers.py — a second server on a data directory in use must not start.

Server A runs on a data dir; server B is started on the same dir: it must exit
with status 1 (within 10 s, without touching anything) and say why, naming the
LOCK / "Another holdfast server".  A keeps serving its data.  After A is
killed with SIGKILL (its LOCK file stays behind, but the flock is gone), B
starts on the dir and has A's data.  Exit 0 if every check passed."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Reporter, Server, cleanup, require_server, tempdir  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    server = a.server or require_server()
    work = tempdir("hf-two-")
    rep = Reporter("two-servers")
    data = os.path.join(work, "data")
    os.mkdir(data)
    A = Server(server, data, work, name="a").start()
    ca = A.wait_ready()
    if not rep.ok(ca is not None, "server A did not start:\n%s" % A.log()):
        cleanup(work, True)
        return 1
    for i in range(100):
        ca.cmd("SET", "k%d" % i, "v%d" % i)
    before = sorted(os.listdir(os.path.join(data, "wal")))

    B = Server(server, data, work, name="b").start()
    rc = B.wait_exit(10)
    if rc is None:
        B.kill9()
    out = B.log()
    rep.ok(rc == 1, "server B on the same dir: exit status %s, expected 1" % rc)
    rep.ok("Another holdfast server" in out and "LOCK" in out,
           "server B must say 'Another holdfast server ... LOCK'; it said:\n%s" % out[-600:])
    msg = [ln for ln in out.splitlines() if "Another holdfast server" in ln]
    print("two-servers: B exited with %s: %s" % (rc, msg[0].split("# ")[-1] if msg else "(no message)"), flush=True)
    rep.ok(sorted(os.listdir(os.path.join(data, "wal"))) == before, "server B changed the WAL directory")
    rep.ok(ca.cmd("GET", "k42") == b"v42" and ca.cmd("SET", "after", "b") == "OK" and ca.cmd("DBSIZE") == 101,
           "server A no longer serves its data after B's attempt")
    ca.close()
    A.kill9()

    B.start()
    cb = B.wait_ready()
    if rep.ok(cb is not None, "server B did not start after A was killed:\n%s" % B.log()[-600:]):
        rep.ok(cb.cmd("DBSIZE") == 101 and cb.cmd("GET", "after") == b"b",
               "server B does not have A's data after A was killed")
        cb.close()
    rep.ok(B.stop() == 0, "server B did not exit cleanly on SIGTERM")
    print("two-servers: %s" % ("ok" if not rep.failed else "FAILED"), flush=True)
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
