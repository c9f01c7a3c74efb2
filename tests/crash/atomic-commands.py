#!/usr/bin/env python3
"""atomic-commands.py — a command is recovered whole or not at all.

Some commands change more than one key or more than one thing (MSET, SET EX,
SETEX, RENAME, COPY of a key with a TTL).  Whatever the WAL holds for one of
them, a crash may cut the log anywhere: a kill -9 between two group-commit
batches, or a power loss that keeps only the synced batches.  The command was
not acknowledged then, so it may be lost, but the state after recovery must
be one that the commands produce when each is applied whole: a RENAME cut in
the middle must not lose the key (its value was acknowledged earlier!), an
MSET must not come back half-done, a SET EX must not come back without its
expiry.

A fresh server gets a sequence of commands (all acknowledged), is killed, and
for EVERY record boundary in the WAL after the first command (and three
offsets inside each record) the segment is cut there and the server restarted: the keys must equal the state after some
prefix of the command sequence.  Exit 0 if so at every cut, 1 otherwise."""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Reporter, Server, cleanup, require_server, tempdir, wal_records, wal_segments  # noqa: E402

TTL = 100000

# (command, model function on a dict key -> (value, has_ttl))
COMMANDS = [
    (["SET", "a", "va"], lambda s: s.update(a=("va", False))),
    (["MSET", "m1", "1", "m2", "2", "m3", "3"], lambda s: s.update(m1=("1", False), m2=("2", False), m3=("3", False))),
    (["SET", "s", "vs", "EX", str(TTL)], lambda s: s.update(s=("vs", True))),
    (["SETEX", "s2", str(TTL), "vs2"], lambda s: s.update(s2=("vs2", True))),
    (["PSETEX", "s3", str(TTL * 1000), "vs3"], lambda s: s.update(s3=("vs3", True))),
    (["RENAME", "a", "b"], lambda s: (s.update(b=s["a"]), s.pop("a"))),
    (["SET", "c", "vc", "EX", str(TTL)], lambda s: s.update(c=("vc", True))),
    (["COPY", "c", "d"], lambda s: s.update(d=s["c"])),
    (["SET", "e", "ve", "EX", str(TTL)], lambda s: s.update(e=("ve", True))),
    (["RENAME", "e", "f"], lambda s: (s.update(f=s["e"]), s.pop("e"))),
    (["MSET", "m1", "x1", "m3", "x3"], lambda s: s.update(m1=("x1", False), m3=("x3", False))),
    (["SET", "last", "done"], lambda s: s.update(last=("done", False))),
]
KEYS = ["a", "b", "m1", "m2", "m3", "s", "s2", "s3", "c", "d", "e", "f", "last"]


def prefix_states():
    out = [{}]
    s = {}
    for _, f in COMMANDS:
        f(s)
        out.append(dict(s))
    return out


def fmt(state):
    return "{" + ", ".join("%s=%s%s" % (k, v, "+ttl" if t else "") for k, (v, t) in sorted(state.items())) + "}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    server = a.server or require_server()
    work = tempdir("hf-atomic-")
    rep = Reporter("atomic-commands")
    print("atomic-commands: server %s, work dir %s" % (server, work), flush=True)
    extra = ["--snapshot-interval", "0", "--snapshot-wal-bytes", "0", "--appendfsync", "always"]
    base = os.path.join(work, "base")
    os.mkdir(base)
    srv = Server(server, base, work, extra, name="base").start()
    c = srv.wait_ready()
    if c is None:
        print("FAIL: the server did not start:\n" + srv.log())
        return 1
    # where each command's records start (LSN after it)
    lsn_after = []
    for cmd, _ in COMMANDS:
        r = c.pipeline([cmd])[0]
        rep.ok(r in ("OK", 1), "%s answered %r" % (" ".join(cmd), r))
        info = c.cmd("INFO", "holdfast").decode()
        last = [ln for ln in info.splitlines() if ln.startswith("wal_last_lsn:")]
        lsn_after.append(int(last[0].split(":")[1]) if last else None)
    c.close()
    srv.kill9()
    states = prefix_states()
    seg = wal_segments(base)[-1]
    recs = wal_records(seg)
    segname = os.path.basename(seg)
    multi = []
    prev = 0
    for (cmd, _), after in zip(COMMANDS, lsn_after):
        if after is not None and after - prev > 1:
            multi.append("%s (%d records)" % (cmd[0] + (" " + cmd[3] if cmd[0] == "SET" and len(cmd) > 3 else ""),
                                              after - prev))
        prev = after or prev
    print("atomic-commands: %d commands wrote %d WAL records; written as more than one record: %s" %
          (len(COMMANDS), len(recs), ", ".join(multi) or "none"), flush=True)

    def lsn_to_cmds(lsn):
        """How many commands are wholly within LSNs <= lsn."""
        return sum(1 for x in lsn_after if x is not None and x <= lsn)

    bad_cuts = 0
    # every record boundary after the first command, and inside every later
    # record its first byte, its middle and its last byte (a torn record)
    cuts = []
    for i, (o, e, _) in enumerate(recs):
        if i:
            cuts += [o + 1, (o + e) // 2, e - 1]
        cuts.append(e)
    for cut in cuts:
        d = os.path.join(work, "case")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(base, d)
        os.truncate(os.path.join(d, "wal", segname), cut)
        s = Server(server, d, work, extra, name="case").start()
        cl = s.wait_ready(30)
        if cl is None:
            rep.ok(False, "cut at %d: the server did not start (status %s):\n%s" % (cut, s.proc.returncode, s.log()[-800:]))
            continue
        replies = cl.pipeline([x for k in KEYS for x in (["GET", k], ["TTL", k])])
        cl.close()
        s.kill9()
        got = {}
        for i, k in enumerate(KEYS):
            v, t = replies[2 * i], replies[2 * i + 1]
            if v is not None:
                got[k] = (v.decode(), isinstance(t, int) and t > 0)
        lsn = max((l for (o, e, l) in recs if e <= cut), default=0)
        whole = lsn_to_cmds(lsn)
        if got in states:
            if a.verbose:
                print("  ok: cut at %d (LSN %d): the state after %d commands" % (cut, lsn, states.index(got)))
            continue
        bad_cuts += 1
        cmd = COMMANDS[whole][0] if whole < len(COMMANDS) else ["?"]
        lost = [k for k in states[whole] if k not in got]
        rep.ok(False, "cut at offset %d (after LSN %d, inside '%s'): the state matches no prefix of the commands%s\n"
                      "      got      %s\n      before   %s\n      after    %s" %
               (cut, lsn, " ".join(cmd),
                " - key(s) %s LOST although their value was acknowledged" % ", ".join(lost) if lost else "",
                fmt(got), fmt(states[whole]), fmt(states[min(whole + 1, len(states) - 1)])))
    print("atomic-commands: %d cuts at and inside records, %d left a state no whole-command prefix explains: %s" %
          (len(cuts), bad_cuts, "ok" if not rep.failed else "FAILED"), flush=True)
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
