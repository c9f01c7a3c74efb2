#!/usr/bin/env python3
"""snapshot-kill.py — SIGKILL while a snapshot is being written.

Loads --keys keys (half, SAVE, the other half plus overwrites of some of the
first half), starts BGSAVE and kills the server with SIGKILL a few ms later,
while the part files of the new snapshot exist and its MANIFEST does not yet.
The restart must succeed from the previous snapshot plus the WAL, with every
key there holding its last value, log "Removing incomplete snapshot" for the
half-written folder and remove it.  If the snapshot finishes before the kill
(a fast disk), more keys are written and it is tried again.
Exit 0 if every check passed, 1 otherwise."""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Reporter, Server, cleanup, require_server, tempdir  # noqa: E402


def val(i, gen):
    return ("%s:%07d:" % (gen, i)) + "p" * (i % 29)


def load(c, keys, gen, expect):
    """MSET keys in pipelined batches; records the values in expect."""
    batch, cmds = 200, []
    for j in range(0, len(keys), batch):
        args = ["MSET"]
        for i in keys[j:j + batch]:
            v = val(i, gen)
            args += ["k:%07d" % i, v]
            expect[i] = v.encode()
        cmds.append(args)
        if len(cmds) == 50:
            for r in c.pipeline(cmds):
                if r != "OK":
                    raise RuntimeError("MSET answered %r" % (r,))
            cmds = []
    for r in c.pipeline(cmds):
        if r != "OK":
            raise RuntimeError("MSET answered %r" % (r,))


def snapshots(d):
    root = os.path.join(d, "snapshots")
    try:
        return set(os.listdir(root))
    except FileNotFoundError:
        return set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--keys", type=int, default=300000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    server = a.server or require_server()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = tempdir("hf-snapkill-")
    rep = Reporter("snapshot-kill")
    print("snapshot-kill: seed %d, %d keys, server %s, work dir %s" % (seed, a.keys, server, work), flush=True)
    data = os.path.join(work, "data")
    os.mkdir(data)
    extra = ["--snapshot-interval", "0", "--snapshot-wal-bytes", "0", "--snapshot-threads", "2"]
    srv = Server(server, data, work, extra).start()
    c = srv.wait_ready()
    expect = {}
    half = a.keys // 2
    load(c, list(range(half)), "a", expect)
    t = time.time()
    rep.ok(c.cmd("SAVE") == "OK", "SAVE")
    save_s = time.time() - t
    prev = snapshots(data)
    rep.ok(len(prev) == 1, "one snapshot after SAVE: %s" % sorted(prev))
    load(c, list(range(half, a.keys)), "b", expect)
    load(c, list(range(0, half, 7)), "c", expect)
    print("snapshot-kill: loaded %d keys, the first snapshot took %.0f ms" % (a.keys, save_s * 1000), flush=True)

    caught = None
    for attempt in range(1, 9):
        before = snapshots(data)
        r = c.cmd("BGSAVE")
        rep.ok(isinstance(r, str) and "started" in r, "BGSAVE answered %r" % (r,))
        t0 = time.time()
        folder = None
        while time.time() - t0 < 20:
            new = snapshots(data) - before
            if new:
                folder = os.path.join(data, "snapshots", sorted(new)[0])
                try:
                    names = os.listdir(folder)
                except FileNotFoundError:
                    names = []
                if "MANIFEST" in names:
                    break
                parts = [n for n in names if n.startswith("part-")]
                sizes = []
                for n in parts:
                    try:
                        sizes.append(os.path.getsize(os.path.join(folder, n)))
                    except FileNotFoundError:
                        sizes.append(0)
                # kill once entries are being written (more than a part header)
                if parts and max(sizes) > 32:
                    time.sleep(rng.uniform(0, 0.004))
                    srv.kill9()
                    break
            time.sleep(0.0003)
        if srv.proc.poll() is not None:
            if folder and os.path.isdir(folder) and "MANIFEST" not in os.listdir(folder):
                caught = folder
                parts = sorted(n for n in os.listdir(folder))
                sizes = [os.path.getsize(os.path.join(folder, n)) for n in parts]
                print("snapshot-kill: attempt %d: killed %.1f ms after BGSAVE with %s in %s (no MANIFEST)" %
                      (attempt, (time.time() - t0) * 1000, ", ".join("%s %d B" % x for x in zip(parts, sizes)),
                       os.path.basename(folder)), flush=True)
                break
            # the MANIFEST appeared between the check and the kill: start again
            srv.start()
            c = srv.wait_ready()
        else:
            # the snapshot completed before we could kill: make it longer and retry
            print("snapshot-kill: attempt %d: the snapshot completed first; writing more" % attempt, flush=True)
            while c.cmd("INFO", "holdfast").decode().find("snapshot_in_progress:1") >= 0:
                time.sleep(0.01)
        # change a few keys so the next snapshot gets a new name
        load(c, list(range(rng.randrange(half), a.keys, 13)), "d%d" % attempt, expect)
    if not rep.ok(caught is not None, "could not kill the server while a snapshot was half written"):
        srv.kill9()
        cleanup(work, True)
        return 1

    srv.start()
    c = srv.wait_ready(120)
    if c is None:
        rep.ok(False, "the server did not restart after the kill:\n%s" % srv.log()[-1500:])
        cleanup(work, True)
        return 1
    log = srv.log()
    name = os.path.basename(caught)
    rep.ok("Removing incomplete snapshot" in log and name in log,
           "the log must say 'Removing incomplete snapshot ...%s'" % name)
    rep.ok(not os.path.exists(caught), "the half-written folder %s is still there" % caught)
    loaded = [ln for ln in log.splitlines() if "Loading snapshot" in ln]
    print("snapshot-kill: restarted: %s" % (loaded[0].split("* ", 1)[-1] if loaded else "no snapshot loaded"), flush=True)
    # every key
    wrong = 0
    keys = sorted(expect)
    for j in range(0, len(keys), 1000):
        chunk = keys[j:j + 1000]
        got = c.cmd("MGET", *["k:%07d" % i for i in chunk])
        for i, g in zip(chunk, got):
            if g != expect[i]:
                wrong += 1
                if wrong <= 5:
                    print("FAIL: key k:%07d: expected %r, got %r" % (i, expect[i], g))
    n = c.cmd("DBSIZE")
    rep.ok(wrong == 0, "%d keys wrong or missing after the restart" % wrong)
    rep.ok(n == len(expect), "DBSIZE %s, expected %d" % (n, len(expect)))
    c.close()
    rc = srv.stop()
    rep.ok(rc == 0, "the server exited with %s on SIGTERM" % rc)
    print("snapshot-kill: %d keys verified after the restart: %s" % (len(expect), "ok" if not rep.failed else "FAILED"),
          flush=True)
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
