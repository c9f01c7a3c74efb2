#!/usr/bin/python3
"""Application-style tests of redis-py against holdfast (or a real redis-server).

Run by run-clients.sh, or by hand against any server:

    HOLDFAST_PORT=6379 /usr/bin/python3 redis-compat/clients/python/test_redis_py.py [-v] [Test.name]

Environment:
  HOLDFAST_HOST, HOLDFAST_PORT   server to use (default 127.0.0.1:6379)
  HF_CLIENTS_STATE               state dir of a server started by server.sh; the
                                 restart tests need it (they skip without it)
  HF_CLIENTS_SERVER_SH           path of server.sh (default: ../server.sh)

Every test works under its own random key prefix and deletes only its own keys,
so the suite can run against a server that holds other data (it never flushes).
Features the server does not implement yet (MULTI, SUBSCRIBE) are probed first
and their tests are skipped with the server's own error text.

Exit status: 0 all passed (skips allowed), 1 a failure or error, 77 redis-py missing.
"""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import uuid

try:
    import redis
    import redis.asyncio
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import BusyLoadingError, ResponseError
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - environment dependent
    print(f"SKIP: redis-py not importable ({exc}); apt-get install python3-redis "
          f"and run with /usr/bin/python3 (this is {sys.executable})")
    sys.exit(77)

HOST = os.environ.get("HOLDFAST_HOST", "127.0.0.1")
PORT = int(os.environ.get("HOLDFAST_PORT", "6379"))
STATE = os.environ.get("HF_CLIENTS_STATE", "")
SERVER_SH = os.environ.get(
    "HF_CLIENTS_SERVER_SH",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server.sh"))
RUN_ID = uuid.uuid4().hex[:8]
REDIS_PY_VERSION = tuple(int(x) for x in redis.__version__.split(".")[:2] if x.isdigit())


def client(**kw):
    kw.setdefault("decode_responses", True)
    kw.setdefault("socket_timeout", 10)
    kw.setdefault("socket_connect_timeout", 5)
    return redis.Redis(host=HOST, port=PORT, **kw)


def probe_command(*args):
    """Send one command on a throw-away connection; return None if the server
    knows it, else the 'unknown command' error text."""
    conn = redis.Connection(host=HOST, port=PORT, socket_timeout=5)
    try:
        conn.send_command(*args)
        try:
            conn.read_response()
        except ResponseError as exc:
            if "unknown command" in str(exc).lower():
                return str(exc)
        return None
    finally:
        conn.disconnect()


def restart_server():
    """kill -TERM the server and start it again on the same port and dir;
    returns once it answers PING with PONG."""
    subprocess.run(["bash", SERVER_SH, "restart", STATE], check=True, timeout=60)


class Base(unittest.TestCase):
    def setUp(self):
        self.prefix = f"py:{RUN_ID}:{self._testMethodName}:"
        self.r = client()

    def tearDown(self):
        try:
            keys = list(self.r.scan_iter(match=self.prefix + "*", count=1000))
            for i in range(0, len(keys), 500):
                self.r.delete(*keys[i:i + 500])
        except redis.RedisError:
            pass
        self.r.close()

    def k(self, name):
        return self.prefix + str(name)


class StringCommands(Base):
    def test_set_get_binary_and_unicode(self):
        rb = client(decode_responses=False)
        blob = bytes(range(256)) * 4 + b"\r\n$-1\r\n*3\r\n"   # binary, RESP-looking bytes
        self.assertTrue(rb.set(self.k("bin"), blob))
        self.assertEqual(rb.get(self.k("bin")), blob)
        self.assertEqual(rb.strlen(self.k("bin")), len(blob))
        self.assertTrue(self.r.set(self.k("uni"), "grüße, 世界 🚀"))
        self.assertEqual(self.r.get(self.k("uni")), "grüße, 世界 🚀")
        self.assertTrue(self.r.set(self.k("empty"), ""))
        self.assertEqual(self.r.get(self.k("empty")), "")
        self.assertEqual(self.r.exists(self.k("empty")), 1)
        big = "x" * (1024 * 1024 + 7)
        self.assertTrue(self.r.set(self.k("big"), big))
        self.assertEqual(self.r.get(self.k("big")), big)
        self.assertIsNone(self.r.get(self.k("missing")))
        rb.close()

    def test_set_options(self):
        k = self.k("opt")
        self.assertIsNone(self.r.set(k, "v1", xx=True))        # XX on a missing key: nil
        self.assertIsNone(self.r.get(k))
        self.assertTrue(self.r.set(k, "v1", nx=True))
        self.assertIsNone(self.r.set(k, "v2", nx=True))        # NX on an existing key: nil
        self.assertEqual(self.r.get(k), "v1")
        self.assertEqual(self.r.set(k, "v3", get=True), "v1")  # SET ... GET returns the old value
        self.assertEqual(self.r.getset(k, "v4"), "v3")
        self.assertEqual(self.r.get(k), "v4")
        self.assertTrue(self.r.setnx(self.k("nx"), "a"))
        self.assertFalse(self.r.setnx(self.k("nx"), "b"))
        self.assertEqual(self.r.get(self.k("nx")), "a")

    def test_counters(self):
        k = self.k("ctr")
        self.assertEqual(self.r.incr(k), 1)
        self.assertEqual(self.r.incr(k, 41), 42)
        self.assertEqual(self.r.incrby(k, -50), -8)
        self.assertEqual(self.r.decr(k), -9)
        self.assertEqual(self.r.decrby(k, 1), -10)
        self.assertEqual(self.r.get(k), "-10")
        self.r.set(k, 9223372036854775806)
        self.assertEqual(self.r.incr(k), 9223372036854775807)
        with self.assertRaises(ResponseError) as cm:
            self.r.incr(k)
        self.assertIn("increment or decrement would overflow", str(cm.exception))
        self.r.set(self.k("text"), "abc")
        with self.assertRaises(ResponseError) as cm:
            self.r.incr(self.k("text"))
        self.assertIn("value is not an integer or out of range", str(cm.exception))
        self.assertEqual(self.r.get(self.k("text")), "abc")

    def test_incrbyfloat(self):
        k = self.k("f")
        self.assertEqual(self.r.incrbyfloat(k, 10.5), 10.5)
        self.assertEqual(self.r.incrbyfloat(k, 0.1), 10.6)
        self.assertEqual(self.r.get(k), "10.6")
        self.assertEqual(self.r.incrbyfloat(k, -5), 5.6)
        self.assertEqual(self.r.get(k), "5.6")
        self.r.set(self.k("g"), "0.1")
        self.assertEqual(self.r.incrbyfloat(self.k("g"), 0.2), 0.3)   # long double: exactly "0.3"
        self.assertEqual(self.r.get(self.k("g")), "0.3")
        self.r.set(self.k("h"), 3)
        self.assertEqual(self.r.incrbyfloat(self.k("h"), 2), 5.0)
        self.assertEqual(self.r.get(self.k("h")), "5")                 # no trailing ".0"
        self.assertEqual(self.r.incrbyfloat(self.k("e"), 5.0e3), 5000.0)
        self.assertEqual(self.r.get(self.k("e")), "5000")
        self.r.set(self.k("s"), "nope")
        with self.assertRaises(ResponseError) as cm:
            self.r.incrbyfloat(self.k("s"), 1)
        self.assertIn("value is not a valid float", str(cm.exception))

    def test_append_getrange_setrange(self):
        k = self.k("s")
        self.assertEqual(self.r.append(k, "Hello"), 5)
        self.assertEqual(self.r.append(k, " World"), 11)
        self.assertEqual(self.r.get(k), "Hello World")
        self.assertEqual(self.r.getrange(k, 0, 4), "Hello")
        self.assertEqual(self.r.getrange(k, -5, -1), "World")
        self.assertEqual(self.r.getrange(k, 6, 100), "World")
        self.assertEqual(self.r.getrange(k, 5, 2), "")
        self.assertEqual(self.r.getrange(self.k("none"), 0, -1), "")
        self.assertEqual(self.r.setrange(k, 6, "Redis"), 11)
        self.assertEqual(self.r.get(k), "Hello Redis")
        rb = client(decode_responses=False)
        self.assertEqual(rb.setrange(self.k("pad"), 5, "ab"), 7)      # zero padded
        self.assertEqual(rb.get(self.k("pad")), b"\x00\x00\x00\x00\x00ab")
        self.assertEqual(self.r.strlen(self.k("pad")), 7)
        self.assertEqual(self.r.setrange(self.k("none2"), 0, ""), 0)  # no key created
        self.assertEqual(self.r.exists(self.k("none2")), 0)
        rb.close()

    def test_mset_mget_msetnx(self):
        data = {self.k(i): f"value-{i}" for i in range(200)}
        self.assertTrue(self.r.mset(data))
        keys = list(data) + [self.k("missing")]
        got = self.r.mget(keys)
        self.assertEqual(got, list(data.values()) + [None])
        self.assertFalse(self.r.msetnx({self.k(0): "x", self.k("new"): "y"}))  # all or nothing
        self.assertIsNone(self.r.get(self.k("new")))
        self.assertEqual(self.r.get(self.k(0)), "value-0")
        self.assertTrue(self.r.msetnx({self.k("new"): "y", self.k("new2"): "z"}))
        self.assertEqual(self.r.mget(self.k("new"), self.k("new2")), ["y", "z"])

    def test_getex_getdel(self):
        k = self.k("gx")
        self.r.set(k, "v")
        self.assertEqual(self.r.ttl(k), -1)
        self.assertEqual(self.r.getex(k, ex=100), "v")
        self.assertTrue(95 <= self.r.ttl(k) <= 100, self.r.ttl(k))
        self.assertEqual(self.r.getex(k, px=50000), "v")
        self.assertTrue(45000 <= self.r.pttl(k) <= 50000, self.r.pttl(k))
        self.assertEqual(self.r.getex(k, persist=True), "v")
        self.assertEqual(self.r.ttl(k), -1)
        self.assertEqual(self.r.getex(k), "v")
        self.assertIsNone(self.r.getex(self.k("none"), ex=10))
        self.assertEqual(self.r.getdel(k), "v")
        self.assertIsNone(self.r.get(k))
        self.assertEqual(self.r.exists(k), 0)
        self.assertIsNone(self.r.getdel(k))

    def test_copy_rename(self):
        a, b, c = self.k("a"), self.k("b"), self.k("c")
        self.r.set(a, "alpha", ex=1000)
        self.assertTrue(self.r.copy(a, b))
        self.assertEqual(self.r.get(b), "alpha")
        self.assertTrue(900 < self.r.ttl(b) <= 1000)                  # COPY keeps the TTL
        self.r.set(c, "gamma")
        self.assertFalse(self.r.copy(a, c))                           # exists: not copied
        self.assertEqual(self.r.get(c), "gamma")
        self.assertTrue(self.r.copy(a, c, replace=True))
        self.assertEqual(self.r.get(c), "alpha")
        self.assertFalse(self.r.copy(self.k("none"), self.k("d")))
        # COPY into another database
        self.assertTrue(self.r.copy(a, a, destination_db=1))
        r1 = client(db=1)
        try:
            self.assertEqual(r1.get(a), "alpha")
            self.assertEqual(r1.delete(a), 1)
        finally:
            r1.close()
        # RENAME moves value and TTL; the source is gone
        self.assertTrue(self.r.rename(a, self.k("a2")))
        self.assertIsNone(self.r.get(a))
        self.assertEqual(self.r.get(self.k("a2")), "alpha")
        self.assertTrue(900 < self.r.ttl(self.k("a2")) <= 1000)
        self.assertFalse(self.r.renamenx(self.k("a2"), c))
        self.assertTrue(self.r.renamenx(self.k("a2"), self.k("a3")))
        self.assertEqual(self.r.get(self.k("a3")), "alpha")
        with self.assertRaises(ResponseError) as cm:
            self.r.rename(self.k("none"), self.k("x"))
        self.assertIn("no such key", str(cm.exception))

    def test_keyspace_helpers(self):
        k = self.k("t")
        self.r.set(k, 12345)
        self.assertEqual(self.r.type(k), "string")
        self.assertEqual(self.r.type(self.k("none")), "none")
        self.assertEqual(self.r.object("encoding", k), "int")
        self.r.set(k, "short")
        self.assertEqual(self.r.object("encoding", k), "embstr")
        self.r.set(k, "y" * 100)
        self.assertEqual(self.r.object("encoding", k), "raw")
        self.r.mset({self.k(1): 1, self.k(2): 2})
        self.assertEqual(self.r.exists(k, self.k(1), self.k(2), self.k("none"), k), 4)
        self.assertEqual(self.r.touch(k, self.k("none")), 1)
        self.assertEqual(self.r.unlink(self.k(1), self.k("none")), 1)
        self.assertEqual(self.r.delete(self.k(2), k), 2)
        self.assertEqual(sorted(self.r.keys(self.prefix + "*")), [])
        self.assertTrue(self.r.set(k, "moved"))
        self.assertTrue(self.r.move(k, 2))
        r2 = client(db=2)
        try:
            self.assertEqual(r2.get(k), "moved")
            self.assertEqual(r2.delete(k), 1)
        finally:
            r2.close()
        self.assertIsNone(self.r.get(k))


class Expiry(Base):
    def test_ttl_values(self):
        self.r.set(self.k("ex"), "v", ex=100)
        self.assertTrue(98 <= self.r.ttl(self.k("ex")) <= 100)
        self.r.set(self.k("px"), "v", px=100000)
        self.assertTrue(98000 <= self.r.pttl(self.k("px")) <= 100000)
        now = int(time.time())
        self.r.set(self.k("exat"), "v", exat=now + 500)
        self.assertTrue(495 <= self.r.ttl(self.k("exat")) <= 500)
        self.assertEqual(self.r.expiretime(self.k("exat")), now + 500)
        self.r.set(self.k("plain"), "v")
        self.assertEqual(self.r.ttl(self.k("plain")), -1)
        self.assertEqual(self.r.ttl(self.k("none")), -2)
        self.assertEqual(self.r.pttl(self.k("none")), -2)
        self.assertTrue(self.r.expire(self.k("plain"), 50))
        self.assertTrue(45 <= self.r.ttl(self.k("plain")) <= 50)
        self.assertTrue(self.r.persist(self.k("plain")))
        self.assertEqual(self.r.ttl(self.k("plain")), -1)
        self.assertFalse(self.r.persist(self.k("plain")))
        self.assertFalse(self.r.expire(self.k("none"), 10))
        # KEEPTTL keeps it, a plain SET drops it
        self.r.set(self.k("ex"), "v2", keepttl=True)
        self.assertTrue(90 <= self.r.ttl(self.k("ex")) <= 100)
        self.r.set(self.k("ex"), "v3")
        self.assertEqual(self.r.ttl(self.k("ex")), -1)
        # EXPIRE NX / XX / GT / LT (Redis 7)
        self.assertTrue(self.r.expire(self.k("ex"), 100, nx=True))
        self.assertFalse(self.r.expire(self.k("ex"), 200, nx=True))
        self.assertTrue(self.r.expire(self.k("ex"), 200, gt=True))
        self.assertFalse(self.r.expire(self.k("ex"), 50, gt=True))
        self.assertTrue(self.r.expire(self.k("ex"), 50, lt=True))
        self.assertTrue(45 <= self.r.ttl(self.k("ex")) <= 50)

    def test_keys_expire(self):
        # margins are wide: make check runs this beside other suites, maybe
        # under a sanitizer build
        self.r.set(self.k("short"), "v", px=600)
        self.r.set(self.k("long"), "v", ex=100)
        self.r.set(self.k("later"), "v")
        self.assertTrue(self.r.pexpire(self.k("later"), 700))
        self.assertEqual(self.r.get(self.k("short")), "v")
        self.assertEqual(self.r.get(self.k("later")), "v")
        time.sleep(1.0)
        self.assertIsNone(self.r.get(self.k("short")))
        self.assertEqual(self.r.exists(self.k("short"), self.k("later")), 0)
        self.assertEqual(self.r.ttl(self.k("later")), -2)
        self.assertEqual(self.r.get(self.k("long")), "v")
        self.assertEqual(sorted(self.r.scan_iter(match=self.prefix + "*")), [self.k("long")])
        # a negative / past expiry deletes at once
        self.r.set(self.k("past"), "v")
        self.assertTrue(self.r.expireat(self.k("past"), int(time.time()) - 10))
        self.assertIsNone(self.r.get(self.k("past")))


class Concurrency(Base):
    THREADS = 8
    OPS = 250

    def _hammer(self, pool_client, tid, errors):
        try:
            for i in range(self.OPS):
                pool_client.incr(self.k("shared"))
                key = self.k(f"t{tid}:{i}")
                pool_client.set(key, f"{tid}-{i}")
                if pool_client.get(key) != f"{tid}-{i}":
                    errors.append(f"thread {tid}: read back wrong value for {key}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"thread {tid}: {exc!r}")

    def _run_threads(self, pool_client):
        errors = []
        threads = [threading.Thread(target=self._hammer, args=(pool_client, t, errors))
                   for t in range(self.THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(int(self.r.get(self.k("shared"))), self.THREADS * self.OPS)
        for t in range(self.THREADS):
            keys = [self.k(f"t{t}:{i}") for i in range(self.OPS)]
            self.assertEqual(self.r.mget(keys), [f"{t}-{i}" for i in range(self.OPS)])

    def test_connection_pool_threads(self):
        pool = redis.ConnectionPool(host=HOST, port=PORT, max_connections=self.THREADS,
                                    decode_responses=True, socket_timeout=10)
        shared = redis.Redis(connection_pool=pool)
        self._run_threads(shared)
        # the pool really opened several connections, and no more than allowed
        self.assertGreater(len(pool._available_connections), 1)
        self.assertLessEqual(len(pool._available_connections), self.THREADS)
        # they are all distinct server-side clients: name each, find each in CLIENT LIST
        names = []
        for i, conn in enumerate(list(pool._available_connections)):
            conn.send_command("CLIENT", "SETNAME", f"{self.prefix.replace(':', '-')}{i}")
            self.assertEqual(conn.read_response(), "OK")
            names.append(f"{self.prefix.replace(':', '-')}{i}")
        listed = {c["name"] for c in self.r.client_list()}
        for n in names:
            self.assertIn(n, listed)
        pool.disconnect()

    def test_blocking_connection_pool_threads(self):
        # fewer connections than threads: threads wait for a free connection
        pool = redis.BlockingConnectionPool(host=HOST, port=PORT, max_connections=3,
                                            timeout=20, decode_responses=True,
                                            socket_timeout=10)
        self._run_threads(redis.Redis(connection_pool=pool))
        self.assertLessEqual(len(pool._connections), 3)
        pool.disconnect()


    def test_multi_key_commands_atomic_for_readers(self):
        # MSET of keys in different shards is seen all-or-nothing by MGET, and
        # RENAME back and forth never shows both names or neither
        keys = [self.k(f"atom:{i}") for i in range(8)]
        self.r.mset({k: 0 for k in keys})
        self.r.set(self.k("rn:a"), "v")
        stop = time.time() + 1.5
        bad = []

        def mset_writer():
            c, i = client(), 0
            while time.time() < stop and not bad:
                i += 1
                c.mset({k: i for k in keys})
            c.close()

        def mget_reader():
            c = client()
            while time.time() < stop and not bad:
                v = c.mget(keys)
                if len(set(v)) != 1:
                    bad.append(f"MGET saw a half-applied MSET: {v}")
            c.close()

        def renamer():
            c = client()
            while time.time() < stop and not bad:
                c.rename(self.k("rn:a"), self.k("rn:b"))
                c.rename(self.k("rn:b"), self.k("rn:a"))
            c.close()

        def exists_reader():
            c = client()
            while time.time() < stop and not bad:
                n = c.exists(self.k("rn:a"), self.k("rn:b"))
                if n != 1:
                    bad.append(f"EXISTS rn:a rn:b = {n} during RENAME")
            c.close()
        threads = [threading.Thread(target=f) for f in
                   (mset_writer, mset_writer, mget_reader, mget_reader, renamer, exists_reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(bad, [])
        self.assertEqual(self.r.exists(self.k("rn:a"), self.k("rn:b")), 1)


class Pipelines(Base):
    def test_non_transactional_pipeline(self):
        pipe = self.r.pipeline(transaction=False)
        for i in range(1000):
            pipe.set(self.k(i), i)
        for i in range(1000):
            pipe.incr(self.k(i))
        pipe.get(self.k(999))
        pipe.mget([self.k(0), self.k(500), self.k("none")])
        res = pipe.execute()
        self.assertEqual(len(res), 2002)
        self.assertTrue(all(x is True for x in res[:1000]))
        self.assertEqual(res[1000:2000], list(range(1, 1001)))
        self.assertEqual(res[2000], "1000")
        self.assertEqual(res[2001], ["1", "501", None])
        # the pipeline object is reusable after execute()
        self.assertEqual(pipe.get(self.k(1)).incrby(self.k(1), 10).execute(), ["2", 12])

    def test_pipeline_errors_in_place(self):
        self.r.set(self.k("text"), "abc")
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.k("a"), 1).incr(self.k("text")).incr(self.k("a")).get(self.k("a"))
        res = pipe.execute(raise_on_error=False)
        self.assertEqual(res[0], True)
        self.assertIsInstance(res[1], ResponseError)
        self.assertIn("not an integer", str(res[1]))
        self.assertEqual(res[2:], [2, "2"])
        # with raise_on_error (the default) the first error is raised, after
        # every command has run
        pipe.incr(self.k("text")).incr(self.k("a"))
        with self.assertRaises(ResponseError):
            pipe.execute()
        self.assertEqual(self.r.get(self.k("a")), "3")

    def test_pipeline_large_values(self):
        vals = {self.k(i): os.urandom(64 * 1024) for i in range(40)}   # 2.5 MB in flight
        rb = client(decode_responses=False)
        pipe = rb.pipeline(transaction=False)
        for k, v in vals.items():
            pipe.set(k, v)
        for k in vals:
            pipe.get(k)
        res = pipe.execute()
        self.assertEqual(res[40:], list(vals.values()))
        rb.close()

    def test_transactional_pipeline(self):
        err = probe_command("MULTI")
        if err:
            self.skipTest(f"MULTI not implemented by this server yet ({err})")
        pipe = self.r.pipeline(transaction=True)
        pipe.set(self.k("a"), 1).incr(self.k("a")).get(self.k("a"))
        self.assertEqual(pipe.execute(), [True, 2, "2"])
        # optimistic locking with WATCH: a concurrent change aborts the first try

        tries = []

        def move_ten(p):
            tries.append(1)
            bal = int(p.get(self.k("a")))
            if len(tries) == 1:
                self.r.incr(self.k("a"), 100)      # another client changes the watched key
            p.multi()
            p.set(self.k("a"), bal + 10)
        self.r.transaction(move_ten, self.k("a"))
        self.assertEqual(len(tries), 2)
        self.assertEqual(self.r.get(self.k("a")), "112")


class Locks(Base):
    def test_redis_py_lock(self):
        # redis.lock.Lock: SET NX PX to take it, Lua scripts to release/extend
        err = probe_command("EVAL", "return 1", "0")
        if err:
            self.skipTest(f"scripting not implemented by this server yet ({err}); "
                          "redis-py's Lock releases with EVALSHA")
        lock = self.r.lock(self.k("lock"), timeout=5, blocking_timeout=0.2)
        other = self.r.lock(self.k("lock"), timeout=5, blocking_timeout=0.2)
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.owned())
        self.assertFalse(other.acquire())           # held: times out
        self.assertTrue(lock.extend(10))
        self.assertTrue(9000 < self.r.pttl(self.k("lock")) <= 15000)
        lock.release()
        self.assertIsNone(self.r.get(self.k("lock")))
        self.assertTrue(other.acquire())
        with self.assertRaises(redis.exceptions.LockError):
            lock.release()                          # not ours any more
        other.release()


class Scanning(Base):
    N = 5000

    def test_scan_iter_exact_set(self):
        want = {self.k(f"key:{i}") for i in range(self.N)}
        pipe = self.r.pipeline(transaction=False)
        keys = sorted(want)
        for i in range(0, len(keys), 500):
            pipe.mset({k: "1" for k in keys[i:i + 500]})
        pipe.execute()
        got = list(self.r.scan_iter(match=self.prefix + "key:*", count=250))
        self.assertEqual(set(got), want)                    # every key, nothing else
        self.assertGreaterEqual(len(got), self.N)           # (SCAN may repeat a key)
        got_small = set(self.r.scan_iter(match=self.prefix + "key:1*", count=10))
        self.assertEqual(got_small, {k for k in want if k.startswith(self.prefix + "key:1")})
        got_typed = set(self.r.scan_iter(match=self.prefix + "*", _type="string", count=1000))
        self.assertEqual(got_typed, want)
        self.assertEqual(set(self.r.scan_iter(match=self.prefix + "*", _type="hash")), set())
        self.assertEqual(set(self.r.keys(self.prefix + "key:*")), want)

    def test_scan_while_writing(self):
        # SCAN's promise: a key present for the whole iteration is returned,
        # whatever is added or deleted meanwhile (rehashing included).
        stable = {self.k(f"stable:{i}") for i in range(2000)}
        doomed = [self.k(f"doomed:{i}") for i in range(2000)]
        self.r.mset({k: "s" for k in stable})
        self.r.mset({k: "d" for k in doomed})
        seen = set()
        cursor, step = 0, 0
        while True:
            cursor, batch = self.r.scan(cursor, match=self.prefix + "*", count=100)
            seen.update(batch)
            # between SCAN calls: delete 100 doomed keys and add 300 new ones
            if step * 100 < len(doomed):
                self.r.delete(*doomed[step * 100:(step + 1) * 100])
            self.r.mset({self.k(f"new:{step}:{j}"): "n" for j in range(300)})
            step += 1
            if cursor == 0:
                break
        self.assertEqual(stable - seen, set())
        self.assertTrue(all(k.startswith(self.prefix) for k in seen))


class AsyncIO(Base):
    def test_gather_many_tasks(self):
        async def main():
            # at most 20 connections for 500 tasks: tasks wait for a free one
            pool = redis.asyncio.BlockingConnectionPool(host=HOST, port=PORT, max_connections=20,
                                                        timeout=20, decode_responses=True)
            ar = redis.asyncio.Redis(connection_pool=pool)
            try:
                async def worker(i):
                    await ar.set(self.k(f"a:{i}"), i)
                    await ar.incr(self.k("counter"))
                    v = await ar.incrby(self.k(f"a:{i}"), 1000)
                    return i, v, await ar.get(self.k(f"a:{i}"))
                results = await asyncio.gather(*(worker(i) for i in range(500)))
                self.assertEqual([v for _, v, _ in results], [i + 1000 for i in range(500)])
                self.assertEqual([g for _, _, g in results], [str(i + 1000) for i in range(500)])
                self.assertEqual(await ar.get(self.k("counter")), "500")
                # async pipeline
                async with ar.pipeline(transaction=False) as pipe:
                    for i in range(100):
                        pipe.get(self.k(f"a:{i}"))
                    got = await pipe.execute()
                self.assertEqual(got, [str(i + 1000) for i in range(100)])
                # async scan_iter
                keys = {k async for k in ar.scan_iter(match=self.prefix + "a:*", count=50)}
                self.assertEqual(keys, {self.k(f"a:{i}") for i in range(500)})
                # async expiry
                await ar.set(self.k("tmp"), "x", px=100)
                await asyncio.sleep(0.3)
                self.assertIsNone(await ar.get(self.k("tmp")))
            finally:
                await ar.close()
                await ar.connection_pool.disconnect()
        asyncio.run(main())


class ServerInfo(Base):
    def test_connection_and_server_commands(self):
        self.assertTrue(self.r.ping())
        self.assertEqual(self.r.echo("hi there"), "hi there")
        self.assertTrue(self.r.client_setname("py-app"))
        self.assertEqual(self.r.client_getname(), "py-app")
        cid = self.r.client_id()
        self.assertIsInstance(cid, int)
        me = [c for c in self.r.client_list() if int(c["id"]) == cid]
        self.assertEqual(len(me), 1)
        self.assertEqual(me[0]["name"], "py-app")
        info = self.r.info()
        self.assertIn("redis_version", info)
        self.assertIn("connected_clients", info)
        self.assertGreaterEqual(info["connected_clients"], 1)
        self.assertEqual(self.r.info("server")["tcp_port"], PORT)
        secs, usecs = self.r.time()
        self.assertLess(abs(secs - time.time()), 5)
        self.assertTrue(0 <= usecs < 1000000)
        self.assertIn("maxmemory", self.r.config_get("maxmemory"))
        self.assertIsInstance(self.r.dbsize(), int)
        # SELECT isolates databases
        r3 = client(db=3)
        try:
            r3.set(self.k("db3"), "three")
            self.assertIsNone(self.r.get(self.k("db3")))
            self.assertEqual(r3.get(self.k("db3")), "three")
            r3.delete(self.k("db3"))
        finally:
            r3.close()

    def test_resp3_with_client(self):
        if REDIS_PY_VERSION < (5, 0):
            self.skipTest(f"redis-py {redis.__version__} has no protocol=3 (added in 5.0); "
                          "RESP3 is covered by Resp3Raw.test_hello_3_raw")
        r3 = client(protocol=3)
        try:
            self.assertEqual(r3.connection_pool.get_connection("ping").protocol, 3)
            r3.set(self.k("x"), "1", ex=100)
            self.assertEqual(r3.get(self.k("x")), "1")
            self.assertIsNone(r3.get(self.k("none")))
            self.assertEqual(r3.incrbyfloat(self.k("x"), 1.5), 2.5)
            self.assertTrue(95 <= r3.ttl(self.k("x")) <= 100)
            self.assertEqual(r3.mget(self.k("x"), self.k("none")), ["2.5", None])
            self.assertEqual(set(r3.scan_iter(match=self.prefix + "*")), {self.k("x")})
            self.assertEqual(r3.config_get("maxmemory").keys(), {"maxmemory"})
        finally:
            r3.close()


class Resp3Raw(Base):
    """redis-py < 5 cannot parse RESP3, so talk it on a socket."""

    def _read(self, f):
        line = f.readline()
        t, rest = line[:1], line[1:-2]
        if t in b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b",":
            return float(rest)
        if t == b"_":
            return None
        if t == b"#":
            return rest == b"t"
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return "<RESP2 null bulk>"
            data = f.read(n + 2)[:-2]
            return data.decode()
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return [self._read(f) for _ in range(n)] if n >= 0 else "<RESP2 null array>"
        if t == b"%":
            n = int(rest)
            return {self._read(f): self._read(f) for _ in range(n)}
        raise AssertionError(f"unexpected RESP3 line {line!r}")

    def _cmd(self, sock, f, *args):
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        sock.sendall(out)
        return self._read(f)

    def test_hello_3_raw(self):
        with socket.create_connection((HOST, PORT), timeout=10) as s:
            f = s.makefile("rb")
            hello = self._cmd(s, f, "HELLO", "3", "SETNAME", "raw3")
            self.assertIsInstance(hello, dict)
            self.assertEqual(hello["proto"], 3)
            self.assertEqual(hello["server"], "redis")
            self.assertIn("version", hello)
            self.assertEqual(self._cmd(s, f, "SET", self.k("x"), "10", "EX", "100"), "OK")
            self.assertIsNone(self._cmd(s, f, "GET", self.k("none")))           # _ not $-1
            self.assertEqual(self._cmd(s, f, "MGET", self.k("x"), self.k("none")), ["10", None])
            self.assertEqual(self._cmd(s, f, "INCRBYFLOAT", self.k("x"), "0.5"), "10.5")
            self.assertEqual(self._cmd(s, f, "CLIENT", "GETNAME"), "raw3")
            cfg = self._cmd(s, f, "CONFIG", "GET", "maxmemory")
            self.assertEqual(list(cfg), ["maxmemory"])                         # a map in RESP3
            self.assertEqual(self._cmd(s, f, "EXISTS", self.k("x")), 1)
            hello2 = self._cmd(s, f, "HELLO", "2")
            self.assertIsInstance(hello2, list)                               # flat in RESP2
            self.assertEqual(self._cmd(s, f, "GET", self.k("none")), "<RESP2 null bulk>")


class PubSub(Base):
    def test_subscribe_publish(self):
        err = probe_command("SUBSCRIBE", self.k("probe"))
        if err:
            self.skipTest(f"pub/sub not implemented by this server yet ({err})")
        ch = self.k("chan")
        p = self.r.pubsub()
        p.subscribe(ch)
        p.psubscribe(self.prefix + "pat.*")
        msgs = [p.get_message(timeout=2) for _ in range(2)]
        self.assertEqual(sorted(m["type"] for m in msgs), ["psubscribe", "subscribe"])
        self.assertEqual(self.r.publish(ch, "hello"), 1)
        self.assertEqual(self.r.publish(self.prefix + "pat.x", "world"), 1)
        m1 = p.get_message(timeout=2)
        m2 = p.get_message(timeout=2)
        self.assertEqual((m1["type"], m1["channel"], m1["data"]), ("message", ch, "hello"))
        self.assertEqual((m2["type"], m2["pattern"], m2["channel"], m2["data"]),
                         ("pmessage", self.prefix + "pat.*", self.prefix + "pat.x", "world"))
        self.assertEqual(self.r.pubsub_numsub(ch), [(ch, 1)])
        # a handler thread, as applications use it
        got = []
        done = threading.Event()
        p2 = self.r.pubsub()

        def handler(m):
            got.append(m["data"])
            if len(got) == 50:
                done.set()
        p2.subscribe(**{self.k("work"): handler})
        worker = p2.run_in_thread(sleep_time=0.01)
        try:
            deadline = time.time() + 5
            while self.r.pubsub_numsub(self.k("work"))[0][1] < 1 and time.time() < deadline:
                time.sleep(0.01)
            for i in range(50):
                self.r.publish(self.k("work"), str(i))
            self.assertTrue(done.wait(5))
            self.assertEqual(got, [str(i) for i in range(50)])
        finally:
            # the worker thread closes p2 itself once stopped; closing it here
            # as well races with that (redis-py 4.3 disconnects twice)
            worker.stop()
            worker.join(5)
        p.unsubscribe()
        p.punsubscribe()
        p.close()
        self.assertEqual(self.r.publish(ch, "nobody"), 0)


class Restart(Base):
    """kill -TERM, start again on the same dir and port: every acknowledged
    write is there, the same client objects reconnect by themselves."""

    def setUp(self):
        if not STATE:
            self.skipTest("server not started by run-clients.sh (HF_CLIENTS_STATE unset): "
                          "cannot restart it")
        super().setUp()

    def test_acknowledged_data_survives_restart(self):
        r = client(retry_on_error=[RedisConnectionError, BusyLoadingError],
                   retry=Retry(ExponentialBackoff(cap=1, base=0.05), 20))
        pool = redis.ConnectionPool(host=HOST, port=PORT, max_connections=4,
                                    decode_responses=True)
        pooled = redis.Redis(connection_pool=pool, retry_on_error=[RedisConnectionError],
                             retry=Retry(ExponentialBackoff(cap=1, base=0.05), 20))
        # acknowledged writes of every kind
        want = {self.k(f"k{i}"): f"v{i}" for i in range(2000)}
        pipe = r.pipeline(transaction=False)
        for k, v in want.items():
            pipe.set(k, v)
        self.assertTrue(all(pipe.execute()))
        for i in range(300):
            pooled.incr(self.k("ctr"))
        r.set(self.k("ttl"), "t", ex=1000)
        r.set(self.k("gone-soon"), "g", px=200)
        r.set(self.k("deleted"), "d")
        self.assertEqual(r.delete(self.k("deleted")), 1)
        r.set(self.k("renamed-from"), "rv")
        r.rename(self.k("renamed-from"), self.k("renamed-to"))
        r.append(self.k("ap"), "abc")
        r.append(self.k("ap"), "def")
        r.setrange(self.k("ap"), 1, "XY")
        r.incrbyfloat(self.k("fl"), 1.25)
        r.set(self.k("persisted"), "p", ex=1000)
        r.persist(self.k("persisted"))
        r.getdel(self.k("k0"))
        del want[self.k("k0")]
        r1 = client(db=1)
        r1.set(self.k("in-db1"), "one")
        # let a worker thread or two hold a live connection across the restart
        self.assertEqual(pooled.get(self.k("ctr")), "300")
        pid_before = r.info("server")["process_id"]

        restart_server()
        time.sleep(0.25)            # and let the 200 ms key expire meanwhile

        # the very same client objects go on working (they reconnect)
        self.assertEqual(pooled.get(self.k("ctr")), "300")
        self.assertEqual(r.mget(list(want)), list(want.values()))
        self.assertEqual(r.get(self.k("ttl")), "t")
        self.assertTrue(900 < r.ttl(self.k("ttl")) <= 1000, r.ttl(self.k("ttl")))
        self.assertIsNone(r.get(self.k("gone-soon")))
        self.assertIsNone(r.get(self.k("k0")))
        self.assertIsNone(r.get(self.k("deleted")))
        self.assertIsNone(r.get(self.k("renamed-from")))
        self.assertEqual(r.get(self.k("renamed-to")), "rv")
        self.assertEqual(r.get(self.k("ap")), "aXYdef")
        self.assertEqual(r.get(self.k("fl")), "1.25")
        self.assertEqual(r.ttl(self.k("persisted")), -1)
        self.assertEqual(r1.get(self.k("in-db1")), "one")
        self.assertEqual(set(r.scan_iter(match=self.prefix + "k*", count=500)), set(want))
        # and writes after the restart work
        self.assertEqual(pooled.incr(self.k("ctr")), 301)
        self.assertNotEqual(r.info("server")["process_id"], pid_before, "the server restarted")
        r1.delete(self.k("in-db1"))
        r1.close()
        pool.disconnect()
        r.close()

    def test_writes_in_flight_during_restart(self):
        # writers INCR their own counters as fast as they can while the server
        # is stopped under them; every INCR that was answered must be there
        # after the restart (one more may have been applied but not answered)
        acked = {}
        started = threading.Event()

        def writer(n):
            w = client()          # no retry: stop at the first connection error
            key = self.k(f"w{n}")
            try:
                while True:
                    acked[key] = w.incr(key)
                    if acked[key] == 50:
                        started.set()
            except redis.RedisError:
                pass
            finally:
                w.close()
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        self.assertTrue(started.wait(10), "writers did not get going")
        time.sleep(0.2)
        restart_server()
        for t in threads:
            t.join(30)
        self.assertEqual(len(acked), 4)
        for key, last in acked.items():
            now = int(self.r.get(key))
            self.assertIn(now, (last, last + 1), f"{key}: last acknowledged {last}, now {now}")

    def test_asyncio_client_reconnects(self):
        async def main():
            ar = redis.asyncio.Redis(host=HOST, port=PORT, decode_responses=True,
                                     retry_on_error=[RedisConnectionError],
                                     retry=redis.asyncio.retry.Retry(
                                         ExponentialBackoff(cap=1, base=0.05), 20))
            try:
                await asyncio.gather(*(ar.set(self.k(f"as{i}"), i) for i in range(200)))
                await asyncio.get_running_loop().run_in_executor(None, restart_server)
                got = await asyncio.gather(*(ar.get(self.k(f"as{i}")) for i in range(200)))
                self.assertEqual(got, [str(i) for i in range(200)])
            finally:
                await ar.close()
                await ar.connection_pool.disconnect()
        asyncio.run(main())


def main():
    argv = [a for a in sys.argv[1:]]
    verbosity = 2
    loader = unittest.TestLoader()
    names = [a for a in argv if not a.startswith("-")]
    module = sys.modules[__name__]
    if names:
        suite = loader.loadTestsFromNames(names, module)
    else:
        suite = loader.loadTestsFromModule(module)
    try:
        client(socket_timeout=5).ping()
    except redis.RedisError as exc:
        print(f"cannot reach a server at {HOST}:{PORT}: {exc}")
        return 1
    print(f"# redis-py {redis.__version__} on Python {sys.version.split()[0]}, "
          f"server {HOST}:{PORT} ({client().info('server').get('redis_version')})")
    runner = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    for test, why in res.skipped:
        print(f"# skipped {test.id().split('.', 1)[-1]}: {why}")
    print(f"redis-py: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
