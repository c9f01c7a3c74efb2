#!/usr/bin/env python3
"""types-itest.py — transactions, blocking pops and Pub/Sub under concurrency.

Talks to a running server with redis-py (Debian's python3-redis), many
connections at once, so that holdfast's clients land on different worker
threads:

  multi-isolation   writers run MULTI INCR a INCR b EXEC (keys in different
                    shards) while readers MGET a b: a reader never sees a != b
  multi-cross       EXEC moving values between 8 keys keeps their sum
  watch-abort       WATCH k; another client changes k; EXEC returns nil
  watch-ok          WATCH k; nobody touches k; EXEC runs
  blpop-wake        20 clients block in BLPOP on their own keys; pushes from
                    other connections wake each with its element
  blpop-timeout     BLPOP 0.2 on an empty key returns nil after ~200 ms;
                    BLPOP 0 waits until a push arrives 300 ms later
  blpop-fifo        50 clients block on one key in a known order; 50 pushes
                    serve them in that order, one element each
  blmove-chain      BLMOVE waiting on an empty list gets the element an
                    RPUSH brings, and it lands in the destination
  bzpopmin-wake     BZPOPMIN woken by ZADD from another connection
  blpop-in-multi    BLPOP inside MULTI on an empty key returns nil at once
  pubsub-fanout     100 subscribers (channel and pattern) each receive every
                    one of 200 messages, in order; PUBLISH counts receivers
  pubsub-resp3      a RESP3 subscriber gets push messages and may still run
                    ordinary commands

Usage: types-itest.py --port P [--host H] [--only NAME...]
The same tests pass against a real redis-server (the reference).
Prints "ok"/"not ok" per test and "N passed, N failed"; exit 0 iff none failed."""
import argparse
import sys
import threading
import time

try:
    import redis
except ImportError:
    print("SKIP: python3-redis not installed")
    sys.exit(77)

ARGS = None


def conn(**kw):
    return redis.Redis(host=ARGS.host, port=ARGS.port, socket_timeout=30, **kw)


def fail(msg):
    raise AssertionError(msg)


def wait_blocked(r, n, timeout=10):
    """Waits until n clients are blocked (CLIENT LIST flags contain 'b')."""
    end = time.time() + timeout
    while time.time() < end:
        got = sum(1 for c in r.client_list() if "b" in c.get("flags", ""))
        if got >= n:
            return
        time.sleep(0.005)
    fail("only %d of %d clients blocked" % (got, n))


def t_multi_isolation():
    r = conn()
    r.delete("iso:a", "iso:b")
    stop = threading.Event()
    errors = []

    def writer():
        c = conn()
        while not stop.is_set():
            p = c.pipeline(transaction=True)
            p.incr("iso:a")
            p.incr("iso:b")
            p.execute()

    def reader():
        c = conn()
        n = 0
        while not stop.is_set():
            a, b = c.mget("iso:a", "iso:b")
            n += 1
            if a != b:
                errors.append((a, b))
                return

    ts = [threading.Thread(target=writer) for _ in range(4)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in ts:
        t.start()
    time.sleep(2)
    stop.set()
    for t in ts:
        t.join()
    if errors:
        fail("a reader saw a half-applied EXEC: %r" % (errors[:3],))
    a, b = r.mget("iso:a", "iso:b")
    if a != b or int(a) < 10:
        fail("after the run a=%r b=%r" % (a, b))


def t_multi_cross():
    r = conn()
    keys = ["x:%d" % i for i in range(8)]
    r.mset({k: 100 for k in keys})
    stop = threading.Event()
    bad = []

    def mover(seed):
        c = conn()
        i = seed
        while not stop.is_set():
            src, dst = keys[i % 8], keys[(i * 5 + 3) % 8]
            i += 1
            if src == dst:
                continue
            p = c.pipeline(transaction=True)
            p.decrby(src, 1)
            p.incrby(dst, 1)
            p.execute()

    def checker():
        c = conn()
        while not stop.is_set():
            p = c.pipeline(transaction=True)
            p.mget(keys)
            vals = p.execute()[0]
            s = sum(int(v) for v in vals)
            if s != 800:
                bad.append(s)
                return

    ts = [threading.Thread(target=mover, args=(s,)) for s in range(3)] + [threading.Thread(target=checker)]
    for t in ts:
        t.start()
    time.sleep(1.5)
    stop.set()
    for t in ts:
        t.join()
    if bad:
        fail("the sum seen inside a transaction was %r, not 800" % bad[:3])
    if sum(int(v) for v in r.mget(keys)) != 800:
        fail("sum changed")


def t_watch_abort():
    r, other = conn(), conn()
    r.set("w:k", "1")
    p = r.pipeline(transaction=True)
    p.watch("w:k")
    other.set("w:k", "2")
    p.multi()
    p.set("w:k", "3")
    try:
        p.execute()
        fail("EXEC ran although a WATCHed key changed")
    except redis.WatchError:
        pass
    if r.get("w:k") != b"2":
        fail("w:k is %r" % r.get("w:k"))


def t_watch_ok():
    r = conn()
    r.set("w:ok", "1")
    p = r.pipeline(transaction=True)
    p.watch("w:ok")
    p.multi()
    p.incr("w:ok")
    if p.execute() != [2]:
        fail("EXEC did not run")


def t_blpop_wake():
    r = conn()
    n = 20
    keys = ["bw:%d" % i for i in range(n)]
    r.delete(*keys)
    got = [None] * n

    def waiter(i):
        got[i] = conn().blpop(keys[i], 10)

    ts = [threading.Thread(target=waiter, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    wait_blocked(r, n)
    pushers = [conn() for _ in range(4)]
    for i in range(n):
        pushers[i % 4].rpush(keys[i], "e%d" % i)
    for t in ts:
        t.join()
    for i in range(n):
        if got[i] != (keys[i].encode(), b"e%d" % i):
            fail("waiter %d got %r" % (i, got[i]))
    if r.exists(*keys):
        fail("served keys still exist")


def t_blpop_timeout():
    r = conn()
    r.delete("bt:empty")
    t0 = time.time()
    v = r.blpop("bt:empty", 0.2)
    dt = time.time() - t0
    if v is not None or dt < 0.18 or dt > 2:
        fail("BLPOP 0.2 returned %r after %.3f s" % (v, dt))
    res = []

    def waiter():
        res.append(conn().blpop("bt:forever", 0))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    if res:
        fail("BLPOP 0 returned early: %r" % res)
    r.rpush("bt:forever", "late")
    t.join(10)
    if res != [(b"bt:forever", b"late")]:
        fail("BLPOP 0 got %r" % res)


def t_blpop_fifo():
    r = conn()
    r.delete("bf:q")
    n = 50
    got = [None] * n
    ts = []
    for i in range(n):
        def waiter(i=i):
            got[i] = conn().blpop("bf:q", 20)
        t = threading.Thread(target=waiter)
        t.start()
        ts.append(t)
        wait_blocked(r, i + 1)      # block in a known order
    p = conn()
    for i in range(n):
        p.rpush("bf:q", "e%d" % i)
    for t in ts:
        t.join()
    for i in range(n):
        if got[i] != (b"bf:q", b"e%d" % i):
            fail("waiter %d got %r (arrival order not kept)" % (i, got[i]))


def t_blmove_chain():
    r = conn()
    r.delete("bm:src", "bm:dst")
    res = []

    def waiter():
        res.append(conn().blmove("bm:src", "bm:dst", 10, "LEFT", "RIGHT"))

    t = threading.Thread(target=waiter)
    t.start()
    wait_blocked(r, 1)
    r.rpush("bm:src", "a", "b")
    t.join(10)
    if res != [b"a"]:
        fail("BLMOVE got %r" % res)
    if r.lrange("bm:dst", 0, -1) != [b"a"] or r.lrange("bm:src", 0, -1) != [b"b"]:
        fail("lists after BLMOVE: %r %r" % (r.lrange("bm:src", 0, -1), r.lrange("bm:dst", 0, -1)))


def t_bzpopmin_wake():
    r = conn()
    r.delete("bz:z")
    res = []

    def waiter():
        res.append(conn().bzpopmin("bz:z", 10))

    t = threading.Thread(target=waiter)
    t.start()
    wait_blocked(r, 1)
    conn().zadd("bz:z", {"m2": 2, "m1": 1})
    t.join(10)
    if res != [(b"bz:z", b"m1", 1.0)]:
        fail("BZPOPMIN got %r" % res)
    if r.zrange("bz:z", 0, -1, withscores=True) != [(b"m2", 2.0)]:
        fail("zset after BZPOPMIN: %r" % r.zrange("bz:z", 0, -1, withscores=True))


def t_blpop_in_multi():
    r = conn()
    r.delete("bmulti:e")
    p = r.pipeline(transaction=True)
    p.blpop("bmulti:e", 0)
    t0 = time.time()
    v = p.execute()
    if v != [None] or time.time() - t0 > 1:
        fail("BLPOP in MULTI returned %r" % v)


def t_pubsub_fanout():
    r = conn()
    n, msgs = 100, 200
    subs = []
    for i in range(n):
        ps = conn().pubsub()
        if i % 2:
            ps.psubscribe("fan.*")
        else:
            ps.subscribe("fan.out")
        subs.append(ps)
    # consume the confirmations
    for ps in subs:
        m = ps.get_message(timeout=5)
        if not m or m["type"] not in ("subscribe", "psubscribe"):
            fail("no subscription confirmation: %r" % m)
    recv = [r.publish("fan.out", "m%d" % j) for j in range(msgs)]
    if any(x != n for x in recv):
        fail("PUBLISH counted %r receivers, not %d" % (sorted(set(recv)), n))
    for i, ps in enumerate(subs):
        for j in range(msgs):
            m = ps.get_message(timeout=5)
            if m is None or m["data"] != b"m%d" % j:
                fail("subscriber %d message %d: %r" % (i, j, m))
        ps.close()


def t_pubsub_resp3():
    """Raw RESP3 (redis-py 4 speaks only RESP2): push messages, and ordinary
    commands still allowed while subscribed."""
    import socket
    s = socket.create_connection((ARGS.host, ARGS.port), timeout=10)
    f = s.makefile("rb")

    def send(*args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            out += b"$%d\r\n%s\r\n" % (len(a), a.encode())
        s.sendall(out)

    def read_exact(data):
        got = f.read(len(data))
        if got != data:
            fail("RESP3 expected %r, got %r" % (data, got))

    send("HELLO", "3")
    line = f.readline()
    if not line.startswith(b"%"):
        fail("HELLO 3 answered %r" % line)
    for _ in range(2 * int(line[1:])):      # skip the map's elements
        t = f.readline()
        if t[:1] == b"$":
            f.read(int(t[1:]) + 2)
        elif t[:1] == b"*":
            for _ in range(int(t[1:])):
                f.readline()
    send("SUBSCRIBE", "r3.ch")
    read_exact(b">3\r\n$9\r\nsubscribe\r\n$5\r\nr3.ch\r\n:1\r\n")
    send("PING")
    read_exact(b"+PONG\r\n")
    if conn().publish("r3.ch", "hello") != 1:
        fail("PUBLISH did not count the RESP3 subscriber")
    read_exact(b">3\r\n$7\r\nmessage\r\n$5\r\nr3.ch\r\n$5\r\nhello\r\n")
    send("SET", "r3.k", "v")
    read_exact(b"+OK\r\n")
    s.close()


TESTS = [
    ("multi-isolation", t_multi_isolation), ("multi-cross", t_multi_cross),
    ("watch-abort", t_watch_abort), ("watch-ok", t_watch_ok),
    ("blpop-wake", t_blpop_wake), ("blpop-timeout", t_blpop_timeout), ("blpop-fifo", t_blpop_fifo),
    ("blmove-chain", t_blmove_chain), ("bzpopmin-wake", t_bzpopmin_wake), ("blpop-in-multi", t_blpop_in_multi),
    ("pubsub-fanout", t_pubsub_fanout), ("pubsub-resp3", t_pubsub_resp3),
]


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--only", nargs="*")
    ARGS = ap.parse_args()
    passed = failed = 0
    for name, fn in TESTS:
        if ARGS.only and name not in ARGS.only:
            continue
        t0 = time.time()
        try:
            fn()
            passed += 1
            print("ok - %s (%.2f s)" % (name, time.time() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - report any failure
            failed += 1
            print("not ok - %s: %s: %s" % (name, type(e).__name__, e), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
