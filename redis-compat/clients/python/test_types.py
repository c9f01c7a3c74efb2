"""redis-py with the collection types and transactions, as applications use
them: hashes as records, lists as job queues with blocked consumers, sets of
tags, sorted sets as leaderboards, MULTI/EXEC and WATCH retry loops.  Run by
test_redis_py.py (which imports these classes); see common.py."""

import threading
import time

import redis
from redis.exceptions import ResponseError

from common import RUN_ID, Base, blocked_clients_named, client, wait_until


class Hashes(Base):
    def test_hash_as_a_record(self):
        user = self.k("user:1")
        self.assertEqual(self.r.hset(user, mapping={"name": "Ada", "email": "ada@example.com",
                                                    "visits": 0, "balance": "10.50"}), 4)
        self.assertEqual(self.r.hgetall(user), {"name": "Ada", "email": "ada@example.com",
                                                "visits": "0", "balance": "10.50"})
        self.assertEqual(self.r.type(user), "hash")
        self.assertEqual([self.r.hincrby(user, "visits") for _ in range(3)], [1, 2, 3])
        self.assertEqual(self.r.hincrby(user, "visits", -10), -7)
        self.assertEqual(self.r.hincrbyfloat(user, "balance", 2.25), 12.75)
        self.assertEqual(self.r.hget(user, "balance"), "12.75")
        self.assertEqual(self.r.hset(user, "email", "ada@example.org"), 0)    # an update
        self.assertFalse(self.r.hsetnx(user, "name", "Grace"))
        self.assertTrue(self.r.hsetnx(user, "nick", "ada"))
        self.assertEqual(self.r.hmget(user, ["name", "missing", "nick"]), ["Ada", None, "ada"])
        self.assertTrue(self.r.hexists(user, "nick"))
        self.assertFalse(self.r.hexists(user, "missing"))
        self.assertEqual(self.r.hlen(user), 5)
        self.assertEqual(sorted(self.r.hkeys(user)), ["balance", "email", "name", "nick", "visits"])
        self.assertEqual(sorted(self.r.hvals(user)), sorted(["Ada", "ada@example.org", "-7", "12.75", "ada"]))
        self.assertEqual(self.r.hstrlen(user, "email"), len("ada@example.org"))
        self.assertEqual(self.r.hdel(user, "nick", "missing"), 1)
        self.assertEqual(self.r.hgetall(user), {"name": "Ada", "email": "ada@example.org",
                                                "visits": "-7", "balance": "12.75"})
        self.assertEqual(self.r.hgetall(self.k("nobody")), {})
        self.assertIsNone(self.r.hget(self.k("nobody"), "name"))
        with self.assertRaises(ResponseError) as cm:
            self.r.hincrby(user, "name", 1)
        self.assertIn("hash value is not an integer", str(cm.exception))
        with self.assertRaises(ResponseError) as cm:
            self.r.get(user)
        self.assertIn("WRONGTYPE Operation against a key holding the wrong kind of value",
                      str(cm.exception))
        # removing the last field removes the key
        self.assertEqual(self.r.hdel(user, "name", "email", "visits", "balance"), 4)
        self.assertEqual(self.r.exists(user), 0)
        # a session: a hash with a TTL, which HSET keeps, then it expires
        sess = self.k("session")
        self.r.hset(sess, mapping={"user": "ada", "csrf": "x1"})
        self.assertTrue(self.r.pexpire(sess, 150))
        self.r.hset(sess, "seen", "1")
        self.assertTrue(0 < self.r.pttl(sess) <= 150)
        time.sleep(0.3)
        self.assertEqual(self.r.hgetall(sess), {})
        self.assertEqual(self.r.exists(sess), 0)

    def test_hscan_iter_big_and_small(self):
        h = self.k("big")
        fields = {f"f:{i}": f"v{i}" for i in range(3000)}
        self.assertEqual(self.r.hset(h, mapping=fields), 3000)
        self.assertEqual(self.r.hlen(h), 3000)
        self.assertEqual(dict(self.r.hscan_iter(h, count=100)), fields)
        self.assertEqual(dict(self.r.hscan_iter(h, match="f:12*", count=500)),
                         {f: v for f, v in fields.items() if f.startswith("f:12")})
        self.assertEqual(self.r.hgetall(h), fields)
        picks = self.r.hrandfield(h, 10, withvalues=True)          # field, value, ...
        pairs = dict(zip(picks[::2], picks[1::2]))
        self.assertEqual(len(pairs), 10)
        self.assertEqual({f: fields[f] for f in pairs}, pairs)
        small = self.k("small")
        self.r.hset(small, mapping={"a": "1", "b": "2"})
        self.assertEqual(dict(self.r.hscan_iter(small)), {"a": "1", "b": "2"})
        self.assertEqual(dict(self.r.hscan_iter(self.k("none"))), {})


class Lists(Base):
    def test_work_queue_with_blocking_consumers(self):
        # two consumer threads block in BRPOP on their own connections; the
        # producer pushes one job at a time, then a batch, then a STOP each
        queue = self.k("jobs")
        name = f"py-{RUN_ID}-consumer-"
        got = {0: [], 1: []}
        errors = []

        def consumer(n):
            c = client(client_name=f"{name}{n}", socket_timeout=30)
            try:
                while True:
                    item = c.brpop(queue, timeout=15)
                    if item is None:
                        errors.append(f"consumer {n}: BRPOP timed out")
                        return
                    if item[0] != queue:
                        errors.append(f"consumer {n}: popped from {item[0]}")
                    if item[1] == "STOP":
                        return
                    got[n].append(item[1])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"consumer {n}: {exc!r}")
            finally:
                c.close()
        threads = [threading.Thread(target=consumer, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        wait_until(lambda: blocked_clients_named(self.r, name) == 2, what="both consumers in BRPOP")
        for i in range(50):
            self.r.lpush(queue, f"job{i}")
        # a batch enqueued with its bookkeeping in one MULTI/EXEC: the
        # consumers are served once EXEC is done
        self.assertEqual(self.r.pipeline().lpush(queue, *[f"job{i}" for i in range(50, 200)])
                         .hincrby(self.k("stats"), "enqueued", 150).execute()[1], 150)
        self.r.lpush(queue, "STOP", "STOP")
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        jobs = got[0] + got[1]
        self.assertEqual(sorted(jobs), sorted(f"job{i}" for i in range(200)))   # each job once
        for n in (0, 1):
            order = [int(j[3:]) for j in got[n]]
            self.assertEqual(order, sorted(order), f"consumer {n} got jobs out of FIFO order")
            # the first two pushes find both waiting: the longest waiter is served first
            self.assertTrue(got[n], f"consumer {n} got no job")
        self.assertEqual(self.r.exists(queue), 0)

    def test_reliable_queue_and_capped_feed(self):
        # BRPOP on an empty list times out with nil
        t0 = time.time()
        self.assertIsNone(self.r.brpop(self.k("empty"), timeout=0.2))
        self.assertTrue(0.15 <= time.time() - t0 < 5, time.time() - t0)
        # priority queues: BRPOP takes from the first non-empty key it is given
        high, low = self.k("high"), self.k("low")
        self.r.rpush(low, "l1", "l2")
        self.r.rpush(high, "h1")
        self.assertEqual(self.r.brpop([high, low], timeout=1), (high, "h1"))
        self.assertEqual(self.r.brpop([high, low], timeout=1), (low, "l2"))
        self.assertEqual(self.r.blpop([high, low], timeout=1), (low, "l1"))
        # reliable queue: BLMOVE into a processing list, LREM to acknowledge;
        # a worker blocked on the empty queue is woken by the producer
        src, proc = self.k("incoming"), self.k("processing")
        name = f"py-{RUN_ID}-mover"
        moved = []
        worker = client(client_name=name, socket_timeout=30)
        t = threading.Thread(target=lambda: moved.append(worker.blmove(src, proc, 10, "LEFT", "RIGHT")))
        t.start()
        wait_until(lambda: blocked_clients_named(self.r, name) == 1, what="the worker in BLMOVE")
        self.assertEqual(self.r.rpush(src, "task-a", "task-b"), 2)
        t.join(10)
        worker.close()
        self.assertEqual(moved, ["task-a"])
        self.assertEqual(self.r.lrange(src, 0, -1), ["task-b"])
        self.assertEqual(self.r.lrange(proc, 0, -1), ["task-a"])
        self.assertEqual(self.r.lmove(src, proc, "LEFT", "RIGHT"), "task-b")
        self.assertEqual(self.r.lrem(proc, 1, "task-a"), 1)                # acknowledged
        self.assertEqual(self.r.lrange(proc, 0, -1), ["task-b"])
        self.assertIsNone(self.r.lmove(src, proc))
        # a capped "latest events" feed: LPUSH + LTRIM in one round trip
        feed = self.k("feed")
        for i in range(100):
            self.r.pipeline(transaction=False).lpush(feed, f"event{i}").ltrim(feed, 0, 9).execute()
        self.assertEqual(self.r.lrange(feed, 0, -1), [f"event{i}" for i in range(99, 89, -1)])
        self.assertEqual(self.r.llen(feed), 10)
        self.assertEqual(self.r.lindex(feed, -1), "event90")
        self.assertTrue(self.r.lset(feed, 0, "pinned"))
        self.assertEqual(self.r.linsert(feed, "AFTER", "pinned", "second"), 11)
        self.assertEqual(self.r.lpos(feed, "second"), 1)
        self.assertEqual(self.r.lrange(feed, 0, 2), ["pinned", "second", "event98"])
        self.assertEqual(self.r.rpop(feed, 3), ["event90", "event91", "event92"])
        self.assertEqual(self.r.lpop(feed), "pinned")
        self.assertEqual(self.r.llen(feed), 7)
        self.r.set(self.k("str"), "x")
        with self.assertRaises(ResponseError) as cm:
            self.r.lpush(self.k("str"), "y")
        self.assertIn("WRONGTYPE", str(cm.exception))


class Sets(Base):
    def test_tags_and_set_algebra(self):
        a, b, c = self.k("post:1:tags"), self.k("post:2:tags"), self.k("post:3:tags")
        self.assertEqual(self.r.sadd(a, "redis", "db", "nosql", "cache"), 4)
        self.assertEqual(self.r.sadd(a, "redis", "fast"), 1)                # one new
        self.r.sadd(b, "db", "sql", "postgres", "cache")
        self.r.sadd(c, "redis", "cache", "queue")
        self.assertEqual(self.r.type(a), "set")
        self.assertEqual(self.r.smembers(a), {"redis", "db", "nosql", "cache", "fast"})
        self.assertEqual(self.r.scard(a), 5)
        self.assertEqual(self.r.sinter(a, b), {"db", "cache"})
        self.assertEqual(self.r.sinter(a, b, c), {"cache"})
        self.assertEqual(self.r.sunion(b, c), {"db", "sql", "postgres", "cache", "redis", "queue"})
        self.assertEqual(self.r.sdiff(a, b, c), {"nosql", "fast"})
        self.assertEqual(self.r.sintercard(2, [a, b]), 2)
        self.assertTrue(self.r.sismember(a, "redis"))
        self.assertFalse(self.r.sismember(a, "sql"))
        self.assertEqual([bool(x) for x in self.r.smismember(a, ["redis", "sql", "fast"])],
                         [True, False, True])
        self.assertEqual(self.r.sinterstore(self.k("common"), [a, b]), 2)
        self.assertEqual(self.r.smembers(self.k("common")), {"db", "cache"})
        self.assertEqual(self.r.sdiffstore(self.k("only-a"), [a, b]), 3)
        self.assertEqual(self.r.smembers(self.k("only-a")), {"redis", "nosql", "fast"})
        self.assertTrue(self.r.smove(a, b, "nosql"))
        self.assertFalse(self.r.smove(a, b, "nosql"))
        self.assertTrue(self.r.sismember(b, "nosql"))
        self.assertEqual(self.r.srem(a, "fast", "missing"), 1)
        self.assertEqual(self.r.smembers(a), {"redis", "db", "cache"})
        self.assertEqual(self.r.smembers(self.k("none")), set())
        self.assertEqual(self.r.sinter(a, self.k("none")), set())
        # integer members (an intset) come back as the strings written
        ids = self.k("ids")
        want = {str(i) for i in range(0, 1000, 7)}
        self.assertEqual(self.r.sadd(ids, *range(0, 1000, 7)), len(want))
        self.assertEqual(self.r.smembers(ids), want)
        sample = self.r.srandmember(ids, 5)
        self.assertEqual(len(set(sample)), 5)
        self.assertTrue(set(sample) <= want)
        popped = self.r.spop(ids, 10)                                     # drawn without repeats
        self.assertEqual(len(set(popped)), 10)
        self.assertTrue(set(popped) <= want)
        self.assertEqual(self.r.smembers(ids), want - set(popped))
        # SSCAN over a big set returns every member
        big = self.k("visitors")
        members = {f"user{i}" for i in range(3000)}
        self.assertEqual(self.r.sadd(big, *members), 3000)
        self.assertEqual(set(self.r.sscan_iter(big, count=200)), members)
        self.assertEqual(set(self.r.sscan_iter(big, match="user29*")),
                         {m for m in members if m.startswith("user29")})
        self.assertEqual(set(self.r.sscan_iter(c)), {"redis", "cache", "queue"})


class SortedSets(Base):
    def test_leaderboard(self):
        board = self.k("board")
        self.assertEqual(self.r.zadd(board, {"alice": 100, "bob": 85, "carol": 120,
                                             "dave": 85, "eve": 50}), 5)
        self.assertEqual(self.r.type(board), "zset")
        self.assertEqual(self.r.zincrby(board, 30, "bob"), 115.0)
        self.assertEqual(self.r.zincrby(board, 0.5, "eve"), 50.5)
        self.assertEqual(self.r.zincrby(board, 10, "frank"), 10.0)       # a new player
        self.assertEqual(self.r.zrevrange(board, 0, 2, withscores=True),
                         [("carol", 120.0), ("bob", 115.0), ("alice", 100.0)])
        self.assertEqual(self.r.zrange(board, 0, -1), ["frank", "eve", "dave", "alice", "bob", "carol"])
        self.assertEqual(self.r.zrevrank(board, "alice"), 2)
        self.assertEqual(self.r.zrank(board, "frank"), 0)
        self.assertIsNone(self.r.zrank(board, "nobody"))
        self.assertEqual(self.r.zscore(board, "eve"), 50.5)
        self.assertIsNone(self.r.zscore(board, "nobody"))
        self.assertEqual(self.r.zmscore(board, ["alice", "nobody"]), [100.0, None])
        self.assertEqual(self.r.zcard(board), 6)
        self.assertEqual(self.r.zcount(board, 80, 115), 3)
        self.assertEqual(self.r.zrangebyscore(board, "(85", "+inf", withscores=True),
                         [("alice", 100.0), ("bob", 115.0), ("carol", 120.0)])
        self.assertEqual(self.r.zrevrangebyscore(board, 100, 50, start=0, num=2), ["alice", "dave"])
        self.assertEqual(self.r.zrange(board, 100, 0, desc=True, byscore=True, offset=1, num=2),
                         ["dave", "eve"])
        self.r.zadd(board, {"aaron": 85})                                 # ties: by member
        self.assertEqual(self.r.zrangebyscore(board, 85, 85), ["aaron", "dave"])
        # a personal best only ever goes up (GT); XX never adds
        self.assertEqual(self.r.zadd(board, {"carol": 110}, gt=True, ch=True), 0)
        self.assertEqual(self.r.zadd(board, {"carol": 130}, gt=True, ch=True), 1)
        self.assertEqual(self.r.zscore(board, "carol"), 130.0)
        self.assertEqual(self.r.zadd(board, {"zed": 1}, xx=True), 0)
        self.assertIsNone(self.r.zscore(board, "zed"))
        self.assertEqual(self.r.zrem(board, "aaron", "nobody"), 1)
        self.assertEqual(self.r.zpopmax(board), [("carol", 130.0)])
        self.assertEqual(self.r.zpopmin(board, 2), [("frank", 10.0), ("eve", 50.5)])
        self.assertEqual(self.r.zrevrange(board, 0, -1, withscores=True),
                         [("bob", 115.0), ("alice", 100.0), ("dave", 85.0)])
        # weekly totals: ZUNIONSTORE with weights, ZINTERSTORE with MAX
        w1, w2 = self.k("week1"), self.k("week2")
        self.r.zadd(w1, {"a": 10, "b": 20})
        self.r.zadd(w2, {"b": 5, "c": 7})
        self.assertEqual(self.r.zunionstore(self.k("total"), {w1: 1, w2: 2}), 3)
        self.assertEqual(self.r.zrevrange(self.k("total"), 0, -1, withscores=True),
                         [("b", 30.0), ("c", 14.0), ("a", 10.0)])
        self.assertEqual(self.r.zinterstore(self.k("both"), [w1, w2], aggregate="MAX"), 1)
        self.assertEqual(self.r.zrange(self.k("both"), 0, -1, withscores=True), [("b", 20.0)])
        # fractions, negatives and infinity come back exactly
        s = self.k("scores")
        self.r.zadd(s, {"x": 0.1, "y": -2.5, "z": float("inf"), "w": 1e-3})
        self.assertEqual(self.r.zrange(s, 0, -1, withscores=True),
                         [("y", -2.5), ("w", 0.001), ("x", 0.1), ("z", float("inf"))])

    def test_zscan_iter_big_and_small(self):
        z = self.k("big")
        members = {f"m{i}": i * 1.5 for i in range(2000)}
        self.assertEqual(self.r.zadd(z, members), 2000)
        self.assertEqual(dict(self.r.zscan_iter(z, count=100)), members)
        self.assertEqual(dict(self.r.zscan_iter(z, match="m19*")),
                         {m: s for m, s in members.items() if m.startswith("m19")})
        self.assertEqual(self.r.zrevrange(z, 0, 9, withscores=True),
                         [(f"m{i}", i * 1.5) for i in range(1999, 1989, -1)])
        self.assertEqual(self.r.zrangebyscore(z, 30, 45), [f"m{i}" for i in range(20, 31)])
        self.assertEqual(self.r.zremrangebyrank(z, 0, 999), 1000)
        self.assertEqual(self.r.zcard(z), 1000)
        self.assertEqual(self.r.zrange(z, 0, 0, withscores=True), [("m1000", 1500.0)])
        small = self.k("small")
        self.r.zadd(small, {"one": 1, "two": 2})
        self.assertEqual(dict(self.r.zscan_iter(small)), {"one": 1.0, "two": 2.0})


class Transactions(Base):
    def test_watch_retry_loop_under_contention(self):
        # threads move one unit at a time from a to b with read-modify-write in
        # r.transaction(): without a working WATCH updates would be lost
        acct = self.k("accounts")
        self.r.hset(acct, mapping={"a": 1000, "b": 0})
        threads_n, moves = 4, 25
        retries, errors = [], []

        def worker():
            c = client()
            try:
                for _ in range(moves):
                    tries = []

                    def move(pipe):
                        tries.append(1)
                        a, b = (int(x) for x in pipe.hmget(acct, ["a", "b"]))   # read while watching
                        pipe.multi()
                        pipe.hset(acct, mapping={"a": a - 1, "b": b + 1})
                    c.transaction(move, acct)
                    retries.append(len(tries) - 1)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                c.close()
        threads = [threading.Thread(target=worker) for _ in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        total = threads_n * moves
        self.assertEqual(len(retries), total)
        self.assertEqual(self.r.hgetall(acct), {"a": str(1000 - total), "b": str(total)},
                         f"{sum(retries)} retries")

    def test_multi_exec_across_types(self):
        order, orders, customers, sales = (self.k("order:1"), self.k("orders"),
                                           self.k("customers"), self.k("sales"))
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(order, mapping={"item": "book", "qty": 2})
        pipe.rpush(orders, "order:1")
        pipe.sadd(customers, "ada")
        pipe.zincrby(sales, 2, "book")
        pipe.hgetall(order)
        pipe.lrange(orders, 0, -1)
        self.assertEqual(pipe.execute(), [2, 1, 1, 2.0, {"item": "book", "qty": "2"}, ["order:1"]])
        # a runtime error (WRONGTYPE) fails its own command only
        pipe.set(self.k("s"), "x").lpush(order, "oops").incr(self.k("n"))
        res = pipe.execute(raise_on_error=False)
        self.assertEqual(res[0], True)
        self.assertIsInstance(res[1], ResponseError)
        self.assertIn("WRONGTYPE", str(res[1]))
        self.assertEqual(res[2], 1)
        # an error while queueing (wrong arity) aborts it all (EXECABORT)
        pipe.set(self.k("never"), "x").execute_command("LPUSH", orders)
        with self.assertRaises(ResponseError) as cm:
            pipe.execute()
        self.assertIn("wrong number of arguments", str(cm.exception))
        self.assertIsNone(self.r.get(self.k("never")))
        self.assertEqual(self.r.llen(orders), 1)
        # a write by another client to a watched key of any type aborts EXEC,
        # and so does creating a watched key that was missing
        writes = [
            (orders, lambda: self.r.rpush(orders, "order:2")),
            (customers, lambda: self.r.sadd(customers, "grace")),
            (sales, lambda: self.r.zincrby(sales, 1, "pen")),
            (order, lambda: self.r.hincrby(order, "qty", 1)),
            (self.k("fresh"), lambda: self.r.set(self.k("fresh"), 1)),
        ]
        for key, write in writes:
            with self.r.pipeline() as p:
                p.watch(key)
                write()
                p.multi()
                p.set(self.k("marker"), key)
                with self.assertRaises(redis.WatchError, msg=key):
                    p.execute()
        self.assertIsNone(self.r.get(self.k("marker")))
        # untouched watched keys: EXEC runs
        with self.r.pipeline() as p:
            p.watch(orders, customers)
            self.r.set(self.k("other"), 1)
            p.multi()
            p.llen(orders).smembers(customers)
            self.assertEqual(p.execute(), [2, {"ada", "grace"}])

    def test_transactions_atomic_for_readers(self):
        # writers append to a list, a set and a hash counter in one MULTI;
        # readers reading all three in one MULTI always see them agree
        lst, st, h = self.k("l"), self.k("s"), self.k("h")
        stop = time.time() + 1.0
        bad = []

        def writer(w):
            c, i = client(), 0
            while time.time() < stop and not bad:
                i += 1
                c.pipeline().rpush(lst, f"{w}:{i}").sadd(st, f"{w}:{i}").hincrby(h, "n", 1).execute()
            c.close()

        def reader():
            c = client()
            while time.time() < stop and not bad:
                n1, n2, n3 = c.pipeline().llen(lst).scard(st).hget(h, "n").execute()
                if not n1 == n2 == int(n3 or 0):
                    bad.append(f"LLEN {n1} SCARD {n2} HGET {n3}")
            c.close()
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
        threads += [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(bad, [])
        n = self.r.llen(lst)
        self.assertGreater(n, 0)
        self.assertEqual((self.r.scard(st), self.r.hget(h, "n")), (n, str(n)))
