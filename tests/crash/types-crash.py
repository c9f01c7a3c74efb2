#!/usr/bin/env python3
"""types-crash.py — every data type survives kill -9, snapshots included.

Writer threads (one per type family, each with keys of its own) send random
commands one at a time and keep a model of what every acknowledged command
did: lists (RPUSH LPUSH LPOP RPOP LSET LTRIM LINSERT LREM LMOVE), hashes
(HSET HDEL HINCRBY HINCRBYFLOAT), sets (SADD SREM SPOP SMOVE SUNIONSTORE),
sorted sets (ZADD ZINCRBY ZREM ZPOPMIN ZREMRANGEBYRANK ZUNIONSTORE), strings
edited in place (APPEND SETRANGE SETBIT) and transactions (MULTI INCR INCR
RPUSH EXEC).  Meanwhile SAVE/BGSAVE run now and then, so recovery starts
from a snapshot plus the WAL in some cycles.  The server is killed with
SIGKILL at a random moment, restarted, and every key must hold exactly what
the model says — or, for the one command in flight per writer when the
server died, the state before or after it (a transaction: all or nothing).
Odd cycles run with tiny encoding thresholds so that conversions between
compact and large encodings happen under the same checks.
Exit 0 if every check passed, 1 otherwise."""
import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hfcrash import Client, ReplyError, Reporter, Server, cleanup, require_server, tempdir  # noqa: E402

SMALL = ["--hash-max-listpack-entries", "8", "--zset-max-listpack-entries", "8",
         "--set-max-intset-entries", "8", "--list-max-listpack-size", "4"]


def fmt_float(x):
    """The way HINCRBYFLOAT prints the values this test produces (halves)."""
    return ("%d" % x) if x == int(x) else repr(x)


class Writer(threading.Thread):
    """Sends commands of one family until the connection breaks."""

    def __init__(self, name, sock, seed, model):
        super().__init__(daemon=True)
        self.name_ = name
        self.sock = sock
        self.rng = random.Random(seed)
        self.model = model          # key -> value; survives across cycles
        self.inflight = None        # (keys, function giving the possible states)
        self.acked = 0
        self.error = None

    def k(self, kind, i):
        return "%s:%s%d" % (self.name_, kind, i)

    def run(self):
        try:
            c = Client(self.sock, timeout=30)
        except OSError:
            return
        try:
            while True:
                self.step(c)
        except (OSError, ConnectionError):
            pass
        except Exception as e:  # a wrong reply: report it
            self.error = "%s: %r" % (self.name_, e)

    def send(self, c, args, keys, apply):
        """apply(model) -> the reply the command must give; it changes the
        model in place.  In flight, the keys may be before or after."""
        before = {k: self.copy(self.model.get(k)) for k in keys}
        self.inflight = (keys, before, apply)
        r = c.pipeline([args])[0]
        if isinstance(r, ReplyError):
            raise RuntimeError("%s answered %s" % (args, r))
        want = apply(self.model)
        if want is not None and want != "ANY" and r != want:
            raise RuntimeError("%s answered %r, the model says %r" % (args, r, want))
        self.inflight = None
        self.acked += 1
        return r

    @staticmethod
    def copy(v):
        if isinstance(v, (list, dict, set)):
            return type(v)(v)
        return v

    def val(self):
        # integers and strings, so intsets and listpack integers happen
        return str(self.rng.randrange(40)) if self.rng.random() < 0.5 else "v%d" % self.rng.randrange(40)


class ListWriter(Writer):
    def step(self, c):
        r = self.rng
        k = self.k("l", r.randrange(3))
        m = self.model
        op = r.randrange(9)
        v = self.val()
        if op <= 1:
            cmd = "RPUSH" if op == 0 else "LPUSH"

            def f(m):
                lst = m.setdefault(k, [])
                if cmd == "RPUSH":
                    lst.append(v)
                else:
                    lst.insert(0, v)
                return len(lst)
            self.send(c, [cmd, k, v], [k], f)
        elif op == 2:
            def f(m):
                lst = m.get(k)
                if not lst:
                    return None
                x = lst.pop(0)
                if not lst:
                    del m[k]
                return x.encode()
            self.send(c, ["LPOP", k], [k], f)
        elif op == 3:
            def f(m):
                lst = m.get(k)
                if not lst:
                    return None
                out = []
                for _ in range(min(2, len(lst))):
                    out.append(lst.pop().encode())
                if not lst:
                    del m[k]
                return out
            self.send(c, ["RPOP", k, "2"], [k], f)
        elif op == 4 and m.get(k):
            i = r.randrange(len(m[k]))

            def f(m):
                m[k][i] = v
                return "OK"
            self.send(c, ["LSET", k, str(i), v], [k], f)
        elif op == 5:
            def f(m):
                lst = m.get(k)
                if lst is not None:
                    del lst[20:]
                return "OK"
            self.send(c, ["LTRIM", k, "0", "19"], [k], f)
        elif op == 6 and m.get(k):
            pivot = r.choice(m[k])

            def f(m):
                lst = m[k]
                lst.insert(lst.index(pivot), v)
                return len(lst)
            self.send(c, ["LINSERT", k, "BEFORE", pivot, v], [k], f)
        elif op == 7:
            def f(m):
                lst = m.get(k)
                if not lst or v not in lst:
                    return 0
                lst.remove(v)
                if not lst:
                    del m[k]
                return 1
            self.send(c, ["LREM", k, "1", v], [k], f)
        elif op == 8:
            d = self.k("l", r.randrange(3))

            def f(m):
                lst = m.get(k)
                if not lst:
                    return None
                x = lst.pop(0)
                if not lst:
                    del m[k]
                m.setdefault(d, []).append(x)
                return x.encode()
            self.send(c, ["LMOVE", k, d, "LEFT", "RIGHT"], [k, d], f)


class HashWriter(Writer):
    def step(self, c):
        r = self.rng
        k = self.k("h", r.randrange(3))
        op = r.randrange(4)
        f_ = "f%d" % r.randrange(30)
        if op == 0:
            v = self.val() * r.choice([1, 1, 1, 30])   # sometimes long: hashtable

            def f(m):
                h = m.setdefault(k, {})
                new = f_ not in h
                h[f_] = v
                return 1 if new else 0
            self.send(c, ["HSET", k, f_, v], [k], f)
        elif op == 1:
            def f(m):
                h = m.get(k)
                if not h or f_ not in h:
                    return 0
                del h[f_]
                if not h:
                    del m[k]
                return 1
            self.send(c, ["HDEL", k, f_], [k], f)
        elif op == 2:
            def f(m):
                h = m.setdefault(k, {})
                n = int(h.get("cnt", "0")) + 3
                h["cnt"] = str(n)
                return n
            self.send(c, ["HINCRBY", k, "cnt", "3"], [k], f)
        else:
            def f(m):
                h = m.setdefault(k, {})
                x = float(h.get("flt", "0")) + 1.5
                h["flt"] = fmt_float(x)
                return fmt_float(x).encode()
            self.send(c, ["HINCRBYFLOAT", k, "flt", "1.5"], [k], f)


class SetWriter(Writer):
    def step(self, c):
        r = self.rng
        k = self.k("s", r.randrange(2))
        op = r.randrange(5)
        v = self.val()
        if op <= 1:
            def f(m):
                s = m.setdefault(k, set())
                new = v not in s
                s.add(v)
                return 1 if new else 0
            self.send(c, ["SADD", k, v], [k], f)
        elif op == 2:
            def f(m):
                s = m.get(k)
                if not s or v not in s:
                    return 0
                s.discard(v)
                if not s:
                    del m[k]
                return 1
            self.send(c, ["SREM", k, v], [k], f)
        elif op == 3:
            # the member popped is the server's choice: the model follows the reply
            before = self.copy(self.model.get(k))
            self.inflight = ([k], {k: before}, None)
            reply = c.pipeline([["SPOP", k]])[0]
            s = self.model.get(k)
            if reply is None:
                if s:
                    raise RuntimeError("SPOP %s answered nil, the model has %d members" % (k, len(s)))
            else:
                x = reply.decode()
                if not s or x not in s:
                    raise RuntimeError("SPOP %s answered %r, not a member in the model" % (k, x))
                s.discard(x)
                if not s:
                    del self.model[k]
            self.inflight = None
            self.acked += 1
        else:
            d = self.k("s", 2)
            a, b = self.k("s", 0), self.k("s", 1)

            def f(m):
                u = set(m.get(a, set())) | set(m.get(b, set()))
                if u:
                    m[d] = u
                else:
                    m.pop(d, None)
                return len(u)
            self.send(c, ["SUNIONSTORE", d, a, b], [d], f)


class ZsetWriter(Writer):
    def step(self, c):
        r = self.rng
        k = self.k("z", r.randrange(2))
        op = r.randrange(6)
        mem = "m%d" % r.randrange(20)
        if op <= 1:
            sc = r.randrange(-50, 50) / 4

            def f(m):
                z = m.setdefault(k, {})
                new = mem not in z
                z[mem] = sc
                return 1 if new else 0
            self.send(c, ["ZADD", k, repr(sc), mem], [k], f)
        elif op == 2:
            def f(m):
                z = m.setdefault(k, {})
                z[mem] = z.get(mem, 0.0) + 2.5
                return "ANY"
            self.send(c, ["ZINCRBY", k, "2.5", mem], [k], f)
        elif op == 3:
            def f(m):
                z = m.get(k)
                if not z or mem not in z:
                    return 0
                del z[mem]
                if not z:
                    del m[k]
                return 1
            self.send(c, ["ZREM", k, mem], [k], f)
        elif op == 4:
            def f(m):
                z = m.get(k)
                if not z:
                    return []
                lo = min(z.items(), key=lambda t: (t[1], t[0]))[0]
                del z[lo]
                if not z:
                    del m[k]
                return "ANY"
            self.send(c, ["ZPOPMIN", k], [k], f)
        else:
            d = self.k("z", 2)
            a, b = self.k("z", 0), self.k("z", 1)

            def f(m):
                u = dict(m.get(a, {}))
                for x, s in m.get(b, {}).items():
                    u[x] = u.get(x, 0.0) + s
                if u:
                    m[d] = u
                else:
                    m.pop(d, None)
                return len(u)
            self.send(c, ["ZUNIONSTORE", d, "2", a, b], [d], f)


class StringWriter(Writer):
    def step(self, c):
        r = self.rng
        k = self.k("b", r.randrange(2))
        op = r.randrange(4)
        if op == 0:
            v = "x%d" % r.randrange(100)

            def f(m):
                m[k] = m.get(k, b"") + v.encode()
                return len(m[k])
            self.send(c, ["APPEND", k, v], [k], f)
        elif op == 1:
            off = r.randrange(64)

            def f(m):
                cur = bytearray(m.get(k, b""))
                if len(cur) < off + 2:
                    cur += b"\0" * (off + 2 - len(cur))
                cur[off:off + 2] = b"ZZ"
                m[k] = bytes(cur)
                return len(cur)
            self.send(c, ["SETRANGE", k, str(off), "ZZ"], [k], f)
        elif op == 2:
            bit = r.randrange(600)

            def f(m):
                cur = bytearray(m.get(k, b""))
                if len(cur) <= bit // 8:
                    cur += b"\0" * (bit // 8 + 1 - len(cur))
                old = (cur[bit // 8] >> (7 - bit % 8)) & 1
                cur[bit // 8] |= 1 << (7 - bit % 8)
                m[k] = bytes(cur)
                return old
            self.send(c, ["SETBIT", k, str(bit), "1"], [k], f)
        else:
            # a transaction: all of it or none of it
            a, b, lst = self.k("t", 0), self.k("t", 1), self.k("t", 2)
            x = "e%d" % self.acked

            def f(m):
                m[a] = m.get(a, 0) + 1
                m[b] = m.get(b, 0) + 1
                m.setdefault(lst, []).append(x)
                return [m[a], m[b], len(m[lst])]
            before = {kk: self.copy(self.model.get(kk)) for kk in (a, b, lst)}
            self.inflight = ([a, b, lst], before, f)
            rs = c.pipeline([["MULTI"], ["INCR", a], ["INCR", b], ["RPUSH", lst, x], ["EXEC"]])
            want = f(self.model)
            if rs[-1] != want:
                raise RuntimeError("EXEC answered %r, the model says %r" % (rs[-1], want))
            self.inflight = None
            self.acked += 1


WRITERS = [ListWriter, HashWriter, SetWriter, ZsetWriter, StringWriter]


def read_key(c, key, like):
    t = c.cmd("TYPE", key)
    if t == "none":
        return None
    if t == "list":
        return [x.decode() for x in c.cmd("LRANGE", key, "0", "-1")]
    if t == "hash":
        v = c.cmd("HGETALL", key)
        return {v[i].decode(): v[i + 1].decode() for i in range(0, len(v), 2)}
    if t == "set":
        return set(x.decode() for x in c.cmd("SMEMBERS", key))
    if t == "zset":
        v = c.cmd("ZRANGE", key, "0", "-1", "WITHSCORES")
        return {v[i].decode(): float(v[i + 1]) for i in range(0, len(v), 2)}
    if t == "string":
        v = c.cmd("GET", key)
        return int(v) if isinstance(like, int) else v
    return ("type", t)


def norm(v):
    return v if v not in ({}, [], set()) else None


def verify(rep, c, w, cycle):
    keys = set(w.model)
    if w.inflight:
        keys |= set(w.inflight[0])
    for key in sorted(keys):
        want = norm(w.model.get(key))
        got = read_key(c, key, want)
        if got == want:
            rep.ok(True, key)
            continue
        ok = False
        if w.inflight and key in w.inflight[0]:
            before = norm(w.inflight[1].get(key))
            if got == before:
                ok = True       # the command in flight was lost: allowed
            elif w.inflight[2] is None:     # SPOP: one member fewer
                ok = isinstance(got, set) and isinstance(before, set) and got < before and len(before) - len(got) == 1
            else:               # or it was applied whole
                after = {k: w.copy(v) for k, v in w.model.items()}
                w.inflight[2](after)
                ok = got == norm(after.get(key))
        rep.ok(ok, "cycle %d: %s holds %r, acknowledged state %r%s" %
               (cycle, key, got, want, " (in flight: %r)" % (w.inflight[1].get(key),) if w.inflight else ""))


def settle(w, c):
    """Makes the model agree with the server for the command in flight."""
    if not w.inflight:
        return
    keys = w.inflight[0]
    for key in keys:
        want = w.model.get(key)
        got = read_key(c, key, want)
        if norm(got) == norm(want):
            continue
        if got is None:
            w.model.pop(key, None)
        else:
            w.model[key] = got
    w.inflight = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--cycles", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-ms", type=int, default=300)
    ap.add_argument("--max-ms", type=int, default=1200)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    binary = a.server or require_server()
    rng = random.Random(a.seed)
    work = tempdir("hf-types-crash-")
    data = os.path.join(work, "data")
    os.mkdir(data)
    rep = Reporter("types-crash")
    models = [dict() for _ in WRITERS]
    total = 0
    srv = None
    for cycle in range(a.cycles):
        extra = SMALL if cycle % 2 else []
        srv = Server(binary, data, work, extra=extra)
        srv.start()
        c = srv.wait_ready()
        if c is None:
            rep.ok(False, "cycle %d: the server did not start:\n%s" % (cycle, srv.log()[-3000:]))
            break
        writers = [W("w%d" % i, srv.sock, a.seed * 100 + cycle * 10 + i, models[i]) for i, W in enumerate(WRITERS)]
        if cycle:
            for i, w in enumerate(writers):
                w.inflight = WRITERS_STATE[i]
                verify(rep, c, w, cycle)
                settle(w, c)
        for w in writers:
            w.start()
        end = time.time() + rng.randint(a.min_ms, a.max_ms) / 1000.0
        while time.time() < end:
            time.sleep(0.05)
            x = rng.random()
            if x < 0.03:
                c.pipeline([["SAVE"]])
            elif x < 0.08:
                c.pipeline([["BGSAVE"]])
        srv.kill9()
        for w in writers:
            w.join(30)
            if w.error:
                rep.ok(False, "cycle %d: %s" % (cycle, w.error))
            total += w.acked
        c.close()
        # the next cycle's writers start from these models
        for i, w in enumerate(writers):
            models[i] = w.model
            WRITERS_STATE[i] = w.inflight
        rep.note("cycle %d: %d commands acknowledged so far" % (cycle, total))
        if rep.failed:
            break
    # a last restart to check the final state
    if not rep.failed:
        srv = Server(binary, data, work, extra=[])
        srv.start()
        c = srv.wait_ready()
        if c is None:
            rep.ok(False, "final restart failed:\n%s" % srv.log()[-3000:])
        else:
            for i, W in enumerate(WRITERS):
                w = W("w%d" % i, srv.sock, 0, models[i])
                w.inflight = WRITERS_STATE[i]
                verify(rep, c, w, a.cycles)
            c.close()
        srv.stop()
    print("types-crash: %d cycles, %d acknowledged commands, %d checks, %d failed" %
          (a.cycles, total, rep.checks, rep.failed))
    cleanup(work, a.keep or rep.failed)
    return 1 if rep.failed else 0


WRITERS_STATE = [None] * len(WRITERS)

if __name__ == "__main__":
    sys.exit(main())
