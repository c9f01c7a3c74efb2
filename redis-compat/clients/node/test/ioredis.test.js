'use strict';
// ioredis (v5) used as an application uses it, against holdfast or a real
// redis-server.  Run: node --test test/ioredis.test.js (see common.js for the
// environment).  Every test uses its own key prefix and deletes its own keys;
// the server is never flushed.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const Redis = require('ioredis');
const C = require('./common');

// a test that hangs (a reply that never comes) fails by itself, by name
const LIMIT = { timeout: 30000 };

const PREFIX = `io:${C.RUN_ID}:`;
const k = (name) => `${PREFIX}${name}`;
let redis;
const opened = [];

function newClient(extra = {}) {
    const c = new Redis({
        host: C.HOST,
        port: C.PORT,
        connectTimeout: 5000,
        retryStrategy: (times) => Math.min(50 + times * 50, 500),
        // a reconnect that lands while the server is still loading (INFO says
        // loading:1) waits loading_eta_seconds, up to this, before its next
        // ready check (default 10 s)
        maxLoadingRetryTime: 200,
        ...extra,
    });
    c.on('error', () => {});   // reconnects are expected during the restart test
    opened.push(c);
    return c;
}

function scanAll(c, options) {
    return new Promise((resolve, reject) => {
        const keys = [];
        let batches = 0;
        const stream = c.scanStream(options);
        stream.on('data', (batch) => { batches++; keys.push(...batch); });
        stream.on('end', () => resolve({ keys, batches }));
        stream.on('error', reject);
    });
}

async function cleanup(c) {
    const { keys } = await scanAll(c, { match: `${PREFIX}*`, count: 1000 });
    for (let i = 0; i < keys.length; i += 500) await c.del(...keys.slice(i, i + 500));
}

before(async () => {
    redis = newClient();
    await redis.ping();
});

afterEach(async () => {
    if (redis.status === 'ready') await cleanup(redis);
});

after(async () => {
    for (const db of [1, 2]) {
        const c = newClient({ db });
        await cleanup(c);
    }
    for (const c of opened) c.disconnect();
});

describe('strings', () => {
    it('set/get with options, binary values', LIMIT, async () => {
        assert.equal(await redis.set(k('s'), 'v1'), 'OK');
        assert.equal(await redis.set(k('s'), 'v2', 'NX'), null);
        assert.equal(await redis.set(k('s'), 'v3', 'GET'), 'v1');
        assert.equal(await redis.set(k('s'), 'v4', 'XX', 'GET'), 'v3');
        assert.equal(await redis.get(k('s')), 'v4');
        assert.equal(await redis.get(k('none')), null);
        const blob = Buffer.from([0, 255, 13, 10, 36, 45, 49, 13, 10, 128, 0]);
        assert.equal(await redis.set(k('bin'), blob), 'OK');
        assert.deepEqual(await redis.getBuffer(k('bin')), blob);
        await redis.set(k('uni'), 'ünïcödé 日本 ✓');
        assert.equal(await redis.get(k('uni')), 'ünïcödé 日本 ✓');
        await redis.set(k('empty'), '');
        assert.equal(await redis.get(k('empty')), '');
        assert.equal(await redis.exists(k('empty')), 1);
    });

    it('counters, floats, string edits', LIMIT, async () => {
        assert.equal(await redis.incr(k('c')), 1);
        assert.equal(await redis.incrby(k('c'), 99), 100);
        assert.equal(await redis.decrby(k('c'), 101), -1);
        assert.equal(await redis.incrbyfloat(k('f'), '3.0e3'), '3000');
        assert.equal(await redis.incrbyfloat(k('f'), 0.25), '3000.25');
        await redis.set(k('t'), 'abc');
        await assert.rejects(redis.incr(k('t')), (e) => {
            assert.equal(e.name, 'ReplyError');
            assert.equal(e.message, 'ERR value is not an integer or out of range');
            return true;
        });
        assert.equal(await redis.append(k('t'), 'def'), 6);
        assert.equal(await redis.getrange(k('t'), 1, -2), 'bcde');
        assert.equal(await redis.setrange(k('t'), 10, 'Z'), 11);
        assert.deepEqual(await redis.getrangeBuffer(k('t'), 5, 10), Buffer.from('f\0\0\0\0Z', 'latin1'));
        assert.equal(await redis.mset({ [k('m1')]: 'a', [k('m2')]: 'b' }), 'OK');
        assert.deepEqual(await redis.mget(k('m1'), k('none'), k('m2')), ['a', null, 'b']);
        assert.equal(await redis.msetnx(k('m1'), 'x', k('m3'), 'y'), 0);
        assert.equal(await redis.getex(k('m1'), 'PX', 60000), 'a');
        const pttl = await redis.pttl(k('m1'));
        assert.ok(pttl > 55000 && pttl <= 60000, `pttl ${pttl}`);
        assert.equal(await redis.getdel(k('m1')), 'a');
        assert.equal(await redis.exists(k('m1')), 0);
        assert.equal(await redis.copy(k('m2'), k('m4')), 1);
        assert.equal(await redis.copy(k('m2'), k('m4')), 0);
        assert.equal(await redis.copy(k('t'), k('m4'), 'REPLACE'), 1);
        assert.equal(await redis.get(k('m4')), 'abcdef\0\0\0\0Z');
        assert.equal(await redis.rename(k('m4'), k('m5')), 'OK');
        assert.equal(await redis.renamenx(k('m5'), k('m2')), 0);
        assert.deepEqual(await redis.mget(k('m4'), k('m5')), [null, 'abcdef\0\0\0\0Z']);
    });
});

describe('expiry', () => {
    it('EX/PX, ttl, keys disappear', LIMIT, async () => {
        await redis.set(k('a'), '1', 'EX', 100);
        await redis.set(k('b'), '1', 'PX', 120);
        await redis.set(k('c'), '1');
        assert.ok((await redis.ttl(k('a'))) >= 95);
        assert.equal(await redis.ttl(k('c')), -1);
        assert.equal(await redis.ttl(k('none')), -2);
        assert.equal(await redis.expire(k('c'), 1000, 'NX'), 1);
        assert.equal(await redis.expire(k('c'), 5, 'XX'), 1);
        assert.ok((await redis.ttl(k('c'))) <= 5);
        assert.equal(await redis.pexpire(k('c'), 150), 1);
        await C.sleep(400);
        assert.deepEqual(await redis.mget(k('a'), k('b'), k('c')), ['1', null, null]);
        assert.equal(await redis.exists(k('a'), k('b'), k('c')), 1);
    });
});

describe('pipelines', () => {
    it('pipeline(): results in order, errors in place', LIMIT, async () => {
        await redis.set(k('text'), 'abc');
        const p = redis.pipeline();
        for (let i = 0; i < 1000; i++) p.set(k(`p${i}`), i);
        for (let i = 0; i < 1000; i++) p.incrby(k(`p${i}`), 1000);
        p.incr(k('text'));
        p.mget(k('p0'), k('p999'), k('none'));
        const res = await p.exec();
        assert.equal(res.length, 2002);
        assert.ok(res.slice(0, 1000).every(([err, r]) => err === null && r === 'OK'));
        assert.deepEqual(res.slice(1000, 2000).map(([, r]) => r), Array.from({ length: 1000 }, (_, i) => i + 1000));
        assert.ok(res[2000][0] instanceof Error);
        assert.match(res[2000][0].message, /not an integer/);
        assert.deepEqual(res[2001], [null, ['1000', '1999', null]]);
    });

    it('enableAutoPipelining: concurrent commands batched, results exact', LIMIT, async () => {
        const c = newClient({ enableAutoPipelining: true });
        const n = 3000;
        const sets = await Promise.all(Array.from({ length: n }, (_, i) => c.set(k(`ap${i}`), `v${i}`)));
        assert.ok(sets.every((r) => r === 'OK'));
        const gets = await Promise.all(Array.from({ length: n }, (_, i) => c.get(k(`ap${i}`))));
        assert.deepEqual(gets, Array.from({ length: n }, (_, i) => `v${i}`));
        await Promise.all(Array.from({ length: 1000 }, () => c.incr(k('apc'))));
        assert.equal(await c.get(k('apc')), '1000');
        c.disconnect();
    });

    it('multi(): MULTI/EXEC transaction and WATCH', LIMIT, async () => {
        const res = await redis.multi().set(k('tx'), 5).incr(k('tx')).get(k('tx')).exec();
        assert.deepEqual(res, [[null, 'OK'], [null, 6], [null, '6']]);
        const w = newClient();
        await w.watch(k('tx'));
        await redis.incr(k('tx'));                        // another client changes it
        assert.equal(await w.multi().set(k('tx'), 'mine').exec(), null);   // aborted
        assert.equal(await redis.get(k('tx')), '7');
        w.disconnect();
    });
});

describe('scan', () => {
    it('scanStream returns exactly the keys written', LIMIT, async () => {
        const want = new Set(Array.from({ length: 4000 }, (_, i) => k(`sc:${i}`)));
        const all = [...want];
        const p = redis.pipeline();
        for (let i = 0; i < all.length; i += 500) p.mset(...all.slice(i, i + 500).flatMap((x) => [x, '1']));
        await p.exec();
        const { keys, batches } = await scanAll(redis, { match: `${PREFIX}sc:*`, count: 100 });
        assert.deepEqual(new Set(keys), want);
        assert.ok(batches > 1, `the stream came in ${batches} batches`);
        const typed = await scanAll(redis, { match: `${PREFIX}sc:*`, type: 'string', count: 1000 });
        assert.deepEqual(new Set(typed.keys), want);
        const none = await scanAll(redis, { match: `${PREFIX}*`, type: 'list' });
        assert.deepEqual(none.keys, []);
    });
});

describe('connections', () => {
    it('several clients in parallel (a pool), no lost update', LIMIT, async () => {
        const clients = Array.from({ length: 6 }, () => newClient());
        await Promise.all(clients.map(async (c, ci) => {
            for (let i = 0; i < 200; i++) {
                await c.incr(k('shared'));
                await c.set(k(`c${ci}:${i}`), `${ci}/${i}`);
            }
        }));
        assert.equal(await redis.get(k('shared')), '1200');
        for (let ci = 0; ci < clients.length; ci++) {
            const got = await redis.mget(...Array.from({ length: 200 }, (_, i) => k(`c${ci}:${i}`)));
            assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => `${ci}/${i}`));
        }
        const ids = await Promise.all(clients.map((c) => c.client('ID')));
        assert.equal(new Set(ids).size, clients.length);
        clients.forEach((c) => c.disconnect());
    });

    it('connectionName, db, info', LIMIT, async () => {
        const c = newClient({ connectionName: 'io-app', db: 1 });
        assert.equal(await c.client('GETNAME'), 'io-app');
        await c.set(k('db1'), 'one');
        assert.equal(await redis.get(k('db1')), null);
        assert.equal(await c.get(k('db1')), 'one');
        const list = await redis.client('LIST');
        assert.match(list, /name=io-app .*db=1 /);
        const info = await redis.info('server');
        assert.match(info, /redis_version:\d+/);
        assert.deepEqual(await redis.config('GET', 'maxmemory'), ['maxmemory', '0']);
        c.disconnect();
    });

    it('RESP3', LIMIT, (t) => {
        t.skip('ioredis v5 speaks RESP2 only');
    });

    it('pub/sub: subscribe, psubscribe, publish', LIMIT, async () => {
        const sub = newClient();
        const got = [];
        sub.on('message', (ch, msg) => got.push(['message', ch, msg]));
        sub.on('pmessage', (pat, ch, msg) => got.push(['pmessage', pat, ch, msg]));
        assert.equal(await sub.subscribe(k('ch')), 1);
        assert.equal(await sub.psubscribe(`${PREFIX}news.*`), 2);
        assert.equal(await redis.publish(k('ch'), 'hi'), 1);
        assert.equal(await redis.publish(`${PREFIX}news.tech`, 'new'), 1);
        for (let i = 0; i < 50 && got.length < 2; i++) await C.sleep(20);
        assert.deepEqual(got, [['message', k('ch'), 'hi'], ['pmessage', `${PREFIX}news.*`, `${PREFIX}news.tech`, 'new']]);
        assert.deepEqual(await redis.pubsub('NUMSUB', k('ch')), [k('ch'), 1]);
        sub.disconnect();
    });
});

// Connections named namePrefix... that are blocked (BRPOP, BLMOVE...) now.
const blockedNamed = async (namePrefix) => C.countBlocked(await redis.client('LIST'), namePrefix);
// Read a scanStream (SCAN, HSCAN, SSCAN, ZSCAN) to its end; one flat array.
function readStream(stream) {
    return new Promise((resolve, reject) => {
        const all = [];
        stream.on('data', (batch) => all.push(...batch));
        stream.on('end', () => resolve(all));
        stream.on('error', reject);
    });
}
const pairsToObject = (flat) => {
    const o = {};
    for (let i = 0; i < flat.length; i += 2) o[flat[i]] = flat[i + 1];
    return o;
};

describe('hashes', () => {
    it('hset an object, hgetall, hincrby, hscanStream', LIMIT, async () => {
        const user = k('user:1');
        assert.equal(await redis.hset(user, { name: 'Ada', email: 'ada@example.com', visits: 0, balance: '10.50' }), 4);
        assert.deepEqual(await redis.hgetall(user), { name: 'Ada', email: 'ada@example.com', visits: '0', balance: '10.50' });
        assert.equal(await redis.type(user), 'hash');
        assert.equal(await redis.hincrby(user, 'visits', 1), 1);
        assert.equal(await redis.hincrby(user, 'visits', 41), 42);
        assert.equal(await redis.hincrbyfloat(user, 'balance', 2.25), '12.75');
        assert.equal(await redis.hset(user, 'email', 'ada@example.org'), 0);       // an update
        assert.equal(await redis.hsetnx(user, 'name', 'Grace'), 0);
        assert.deepEqual(await redis.hmget(user, 'name', 'missing', 'visits'), ['Ada', null, '42']);
        assert.equal(await redis.hexists(user, 'email'), 1);
        assert.equal(await redis.hlen(user), 4);
        assert.equal(await redis.hdel(user, 'email', 'missing'), 1);
        assert.deepEqual(await redis.hgetall(user), { name: 'Ada', visits: '42', balance: '12.75' });
        assert.deepEqual(await redis.hgetall(k('nobody')), {});
        await assert.rejects(redis.hincrby(user, 'name', 1), { message: 'ERR hash value is not an integer' });
        await assert.rejects(redis.lpush(user, 'x'),
            { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
        // a big hash, read back with HSCAN
        const big = k('big');
        const fields = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f:${i}`, `v${i}`]));
        assert.equal(await redis.hset(big, fields), 3000);
        assert.deepEqual(pairsToObject(await readStream(redis.hscanStream(big, { count: 100 }))), fields);
        assert.deepEqual(pairsToObject(await readStream(redis.hscanStream(big, { match: 'f:12*' }))),
            Object.fromEntries(Object.entries(fields).filter(([f]) => f.startsWith('f:12'))));
    });
});

describe('lists', () => {
    it('a job queue: consumers blocked in brpop on their own connections, woken by lpush', LIMIT, async () => {
        const queue = k('jobs');
        const name = `io-${C.RUN_ID}-consumer`;
        // a blocking command holds its connection: each consumer has its own
        const consumers = [0, 1].map((n) => redis.duplicate({ connectionName: `${name}${n}` }));
        consumers.forEach((c) => { c.on('error', () => {}); opened.push(c); });
        const got = [[], []];
        const consume = async (n) => {
            for (;;) {
                const r = await consumers[n].brpop(queue, 15);
                assert.ok(r, `consumer ${n}: BRPOP timed out`);
                assert.equal(r[0], queue);
                if (r[1] === 'STOP') return;
                got[n].push(r[1]);
            }
        };
        const done = Promise.all([consume(0), consume(1)]);
        try {
            await C.waitFor(async () => (await blockedNamed(name)) === 2, 'both consumers in BRPOP');
            for (let i = 0; i < 50; i++) await redis.lpush(queue, `job${i}`);
            await redis.lpush(queue, ...Array.from({ length: 150 }, (_, i) => `job${i + 50}`));
            await redis.lpush(queue, 'STOP', 'STOP');
            await done;
        } finally {
            consumers.forEach((c) => c.disconnect());
        }
        const all = [...got[0], ...got[1]].sort();
        assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => `job${i}`).sort());   // each job once
        for (const mine of got) {
            const order = mine.map((j) => Number(j.slice(3)));
            assert.deepEqual(order, [...order].sort((x, y) => x - y), 'FIFO for each consumer');
            assert.ok(mine.length > 0, 'the longest waiter is served first: both got jobs');
        }
        assert.equal(await redis.exists(queue), 0);
    });

    it('blmove into a processing list, lrem to acknowledge; a capped feed', LIMIT, async () => {
        const src = k('incoming');
        const proc = k('processing');
        const name = `io-${C.RUN_ID}-mover`;
        const worker = newClient({ connectionName: name });
        const moved = worker.blmove(src, proc, 'LEFT', 'RIGHT', 10);
        await C.waitFor(async () => (await blockedNamed(name)) === 1, 'the worker in BLMOVE');
        assert.equal(await redis.rpush(src, 'task-a', 'task-b'), 2);
        assert.equal(await moved, 'task-a');
        worker.disconnect();
        assert.deepEqual(await redis.lrange(src, 0, -1), ['task-b']);
        assert.deepEqual(await redis.lrange(proc, 0, -1), ['task-a']);
        assert.equal(await redis.lrem(proc, 1, 'task-a'), 1);                   // acknowledged
        assert.equal(await redis.llen(proc), 0);
        const t0 = Date.now();
        assert.equal(await redis.brpop(k('empty'), 0.2), null);
        assert.ok(Date.now() - t0 >= 150, `BRPOP 0.2 returned after ${Date.now() - t0} ms`);
        // the latest ten events: LPUSH and LTRIM in one pipeline
        const feed = k('feed');
        for (let i = 0; i < 100; i++) await redis.pipeline().lpush(feed, `event${i}`).ltrim(feed, 0, 9).exec();
        assert.deepEqual(await redis.lrange(feed, 0, -1), Array.from({ length: 10 }, (_, i) => `event${99 - i}`));
        assert.equal(await redis.lindex(feed, -1), 'event90');
        assert.equal(await redis.lset(feed, 0, 'pinned'), 'OK');
        assert.equal(await redis.linsert(feed, 'AFTER', 'pinned', 'second'), 11);
        assert.equal(await redis.lpos(feed, 'second'), 1);
        assert.deepEqual(await redis.rpop(feed, 3), ['event90', 'event91', 'event92']);
        assert.equal(await redis.lpop(feed), 'pinned');
        assert.deepEqual(await redis.lrange(feed, 0, 1), ['second', 'event98']);
    });
});

describe('sets', () => {
    it('tags: sadd, smembers, sinter/sunion/sdiff, spop, sscanStream', LIMIT, async () => {
        const [a, b, c] = [k('post:1:tags'), k('post:2:tags'), k('post:3:tags')];
        const sorted = async (p) => (await p).sort();
        assert.equal(await redis.sadd(a, 'redis', 'db', 'nosql', 'cache'), 4);
        assert.equal(await redis.sadd(a, ['redis', 'fast']), 1);
        await redis.sadd(b, 'db', 'sql', 'postgres', 'cache');
        await redis.sadd(c, 'redis', 'cache', 'queue');
        assert.deepEqual(await sorted(redis.smembers(a)), ['cache', 'db', 'fast', 'nosql', 'redis']);
        assert.equal(await redis.scard(a), 5);
        assert.deepEqual(await sorted(redis.sinter(a, b)), ['cache', 'db']);
        assert.deepEqual(await sorted(redis.sinter(a, b, c)), ['cache']);
        assert.deepEqual(await sorted(redis.sunion(b, c)), ['cache', 'db', 'postgres', 'queue', 'redis', 'sql']);
        assert.deepEqual(await sorted(redis.sdiff(a, b, c)), ['fast', 'nosql']);
        assert.equal(await redis.sismember(a, 'redis'), 1);
        assert.deepEqual(await redis.smismember(a, 'redis', 'sql', 'fast'), [1, 0, 1]);
        assert.equal(await redis.sinterstore(k('common'), a, b), 2);
        assert.deepEqual(await sorted(redis.smembers(k('common'))), ['cache', 'db']);
        assert.equal(await redis.smove(a, b, 'nosql'), 1);
        assert.equal(await redis.smove(a, b, 'nosql'), 0);
        assert.equal(await redis.srem(a, 'fast', 'missing'), 1);
        assert.deepEqual(await sorted(redis.smembers(a)), ['cache', 'db', 'redis']);
        const popped = await redis.spop(c, 2);
        assert.equal(new Set(popped).size, 2);
        assert.deepEqual((await redis.smembers(c)).concat(popped).sort(), ['cache', 'queue', 'redis']);
        const members = Array.from({ length: 3000 }, (_, i) => `user${i}`);
        assert.equal(await redis.sadd(k('visitors'), members), 3000);
        assert.deepEqual(new Set(await readStream(redis.sscanStream(k('visitors'), { count: 200 }))), new Set(members));
    });
});

describe('sorted sets', () => {
    it('a leaderboard: zadd, zincrby, zrevrange WITHSCORES, zrank, zscanStream', LIMIT, async () => {
        const board = k('board');
        assert.equal(await redis.zadd(board, 100, 'alice', 85, 'bob', 120, 'carol', 85, 'dave', 50, 'eve'), 5);
        assert.equal(await redis.zincrby(board, 30, 'bob'), '115');
        assert.equal(await redis.zincrby(board, 0.5, 'eve'), '50.5');
        assert.deepEqual(await redis.zrevrange(board, 0, 2, 'WITHSCORES'), ['carol', '120', 'bob', '115', 'alice', '100']);
        assert.equal(await redis.zrevrank(board, 'alice'), 2);
        assert.equal(await redis.zrank(board, 'eve'), 0);
        assert.equal(await redis.zrank(board, 'nobody'), null);
        assert.equal(await redis.zscore(board, 'eve'), '50.5');
        assert.equal(await redis.zscore(board, 'nobody'), null);
        assert.equal(await redis.zcount(board, 80, 115), 3);
        assert.deepEqual(await redis.zrangebyscore(board, '(85', '+inf'), ['alice', 'bob', 'carol']);
        assert.deepEqual(await redis.zrange(board, 100, 0, 'BYSCORE', 'REV', 'LIMIT', 1, 2), ['dave', 'eve']);
        assert.equal(await redis.zadd(board, 'GT', 'CH', 110, 'carol'), 0);
        assert.equal(await redis.zadd(board, 'GT', 'CH', 130, 'carol'), 1);
        assert.deepEqual(await redis.zmscore(board, 'carol', 'nobody'), ['130', null]);
        assert.deepEqual(await redis.zpopmax(board), ['carol', '130']);
        assert.equal(await redis.zrem(board, 'eve', 'nobody'), 1);
        assert.deepEqual(await redis.zrange(board, 0, -1, 'WITHSCORES'), ['dave', '85', 'alice', '100', 'bob', '115']);
        // weekly totals
        await redis.zadd(k('w1'), 10, 'a', 20, 'b');
        await redis.zadd(k('w2'), 5, 'b', 7, 'c');
        assert.equal(await redis.zunionstore(k('total'), 2, k('w1'), k('w2'), 'WEIGHTS', 1, 2), 3);
        assert.deepEqual(await redis.zrevrange(k('total'), 0, -1, 'WITHSCORES'), ['b', '30', 'c', '14', 'a', '10']);
        await redis.zadd(k('inf'), '+inf', 'top', '-inf', 'bottom', 0.25, 'x');
        assert.deepEqual(await redis.zrange(k('inf'), 0, -1, 'WITHSCORES'), ['bottom', '-inf', 'x', '0.25', 'top', 'inf']);
        // a big sorted set, read back with ZSCAN
        const big = k('big');
        const args = [];
        for (let i = 0; i < 2000; i++) args.push(i * 1.5, `m${i}`);
        assert.equal(await redis.zadd(big, ...args), 2000);
        const want = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`m${i}`, String(i * 1.5)]));
        assert.deepEqual(pairsToObject(await readStream(redis.zscanStream(big, { count: 100 }))), want);
        assert.deepEqual(await redis.zrevrange(big, 0, 1, 'WITHSCORES'), ['m1999', '2998.5', 'm1998', '2997']);
    });
});

describe('transactions', () => {
    it('watch + multi: a retry loop under contention loses no update', LIMIT, async () => {
        const acct = k('accounts');
        await redis.hset(acct, { a: 1000, b: 0 });
        // WATCH is per connection: each worker has its own
        const workers = Array.from({ length: 5 }, () => newClient());
        const moves = 20;
        let retries = 0;
        const move = async (c) => {
            for (;;) {
                await c.watch(acct);
                const [a, b] = (await c.hmget(acct, 'a', 'b')).map(Number);
                const res = await c.multi().hset(acct, { a: a - 1, b: b + 1 }).exec();
                if (res !== null) {
                    assert.deepEqual(res, [[null, 0]]);
                    return;
                }
                retries++;                                 // aborted: a watched key changed
            }
        };
        await Promise.all(workers.map(async (c) => {
            for (let i = 0; i < moves; i++) await move(c);
        }));
        workers.forEach((c) => c.disconnect());
        assert.deepEqual(await redis.hgetall(acct), { a: String(1000 - 5 * moves), b: String(5 * moves) }, `${retries} retries`);
    });

    it('multi() across types; a failing command; EXECABORT', LIMIT, async () => {
        const res = await redis.multi()
            .hset(k('order'), { item: 'book', qty: 2 })
            .rpush(k('orders'), 'order:1')
            .sadd(k('customers'), 'ada')
            .zincrby(k('sales'), 2, 'book')
            .hgetall(k('order'))
            .lrange(k('orders'), 0, -1)
            .exec();
        assert.deepEqual(res, [[null, 2], [null, 1], [null, 1], [null, '2'],
            [null, { item: 'book', qty: '2' }], [null, ['order:1']]]);
        // a command failing at run time (WRONGTYPE) fails alone
        const res2 = await redis.multi().set(k('s'), 'x').lpush(k('order'), 'oops').incr(k('n')).exec();
        assert.deepEqual(res2[0], [null, 'OK']);
        assert.match(res2[1][0].message, /^WRONGTYPE /);
        assert.deepEqual(res2[2], [null, 1]);
        // one rejected while queueing (wrong arity): nothing runs
        await assert.rejects(redis.multi().set(k('never'), 'x').call('LPUSH', k('orders')).exec(), (e) => {
            assert.equal(e.message, 'EXECABORT Transaction discarded because of previous errors.');
            assert.match(e.previousErrors[0].message, /wrong number of arguments/);
            return true;
        });
        assert.equal(await redis.get(k('never')), null);
        assert.equal(await redis.llen(k('orders')), 1);
        // a watched key of any type, written by another client, aborts EXEC
        const w = newClient();
        for (const [key, write] of [
            [k('orders'), () => redis.rpush(k('orders'), 'order:2')],
            [k('customers'), () => redis.sadd(k('customers'), 'grace')],
            [k('sales'), () => redis.zincrby(k('sales'), 1, 'pen')],
            [k('order'), () => redis.hincrby(k('order'), 'qty', 1)],
            [k('fresh'), () => redis.set(k('fresh'), '1')],
        ]) {
            await w.watch(key);
            await write();
            assert.equal(await w.multi().set(k('marker'), key).exec(), null, key);
        }
        w.disconnect();
        assert.equal(await redis.get(k('marker')), null);
    });
});

describe('pub/sub', () => {
    it('patterns and channels on one connection, Buffer messages, punsubscribe', LIMIT, async () => {
        const sub = newClient();
        const orders = `${PREFIX}orders.*`;
        const users = `${PREFIX}user.[0-9]`;
        const eu = `${PREFIX}orders.eu`;
        const got = [];
        const bin = [];
        sub.on('message', (ch, msg) => got.push(['c', ch, msg]));
        sub.on('pmessage', (pat, ch, msg) => got.push(['p', pat, ch, msg]));
        sub.on('messageBuffer', (ch, msg) => { if (ch.toString() === k('bin')) bin.push(msg); });
        assert.equal(await sub.psubscribe(orders, users), 2);
        assert.equal(await sub.subscribe(eu, k('bin')), 4);
        assert.deepEqual((await redis.pubsub('CHANNELS', `${PREFIX}*`)).sort(), [eu, k('bin')].sort());
        assert.equal(await redis.publish(eu, 'o1'), 2);                        // pattern + channel
        assert.equal(await redis.publish(`${PREFIX}orders.us`, 'o2'), 1);
        assert.equal(await redis.publish(`${PREFIX}user.7`, 'login'), 1);
        assert.equal(await redis.publish(`${PREFIX}user.42`, 'no'), 0);
        const payload = Buffer.from([0, 255, 13, 10, 42, 49, 13, 10, 128]);
        assert.equal(await redis.publish(k('bin'), payload), 1);
        await C.waitFor(() => got.length >= 5 && bin.length >= 1, 'the messages');
        assert.deepEqual(got.slice(0, 2).sort(), [['c', eu, 'o1'], ['p', orders, eu, 'o1']]);
        assert.deepEqual(got.slice(2, 4), [['p', orders, `${PREFIX}orders.us`, 'o2'], ['p', users, `${PREFIX}user.7`, 'login']]);
        assert.deepEqual(bin, [payload]);
        assert.equal(await sub.punsubscribe(users), 3);
        assert.equal(await redis.publish(`${PREFIX}user.7`, 'gone'), 0);
        // by name: an argument-less unsubscribe() never resolves in ioredis 5
        // while a pattern subscription remains (as in node-redis 4.7)
        assert.equal(await sub.unsubscribe(eu, k('bin')), 1);
        assert.equal(await redis.publish(eu, 'o3'), 1);                        // the pattern still
        sub.disconnect();
    });
});

describe('restart', () => {
    it('reconnects after a server restart; acknowledged writes are kept', LIMIT, async (t) => {
        if (!C.STATE) { t.skip('server not started by run-clients.sh (HF_CLIENTS_STATE unset)'); return; }
        const c = newClient({ db: 2, connectionName: 'io-restart' });
        let reconnecting = 0;
        c.on('reconnecting', () => { reconnecting++; });
        const p = c.pipeline();
        for (let i = 0; i < 2000; i++) p.set(k(`r${i}`), `val${i}`);
        const res = await p.exec();
        assert.ok(res.every(([err, r]) => err === null && r === 'OK'));
        await Promise.all(Array.from({ length: 250 }, () => c.incr(k('rc'))));
        await c.set(k('rttl'), 'x', 'EX', 1000);
        await c.set(k('rdel'), 'x');
        assert.equal(await c.del(k('rdel')), 1);
        await redis.set(k('db0'), 'zero');
        // collections of each type, changed the ways applications change them
        const hash = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, String(i)]));
        await c.hset(k('rh'), hash);
        assert.equal(await c.hincrby(k('rh'), 'f1', 100), 101);
        assert.equal(await c.hdel(k('rh'), 'f2'), 1);
        hash.f1 = '101';
        delete hash.f2;
        await c.hset(k('rhs'), { name: 'Ada', visits: '3' });
        await c.rpush(k('rl'), ...Array.from({ length: 1000 }, (_, i) => String(i)));
        assert.equal(await c.lpop(k('rl')), '0');
        assert.equal(await c.rpop(k('rl')), '999');
        await c.lset(k('rl'), 0, 'first');
        await c.sadd(k('rs'), 'a', 'b', 'c', 'd');
        await c.srem(k('rs'), 'b');
        await c.sadd(k('ri'), ...Array.from({ length: 100 }, (_, i) => i));
        await c.srem(k('ri'), 0);
        const zargs = [];
        for (let i = 0; i < 300; i++) zargs.push(i, `m${i}`);
        await c.zadd(k('rz'), ...zargs);
        await c.zincrby(k('rz'), 1000, 'm0');
        await c.zrem(k('rz'), 'm1');
        await c.multi().hset(k('rorder'), 'state', 'paid').rpush(k('rlog'), 'paid')
            .sadd(k('rpaid'), 'o1').zadd(k('ramounts'), 5, 'o1').exec();
        // a consumer blocked in BRPOP, served by a push: the pop is kept too
        const served = newClient({ db: 2, connectionName: `io-${C.RUN_ID}-served` });
        const popped = served.brpop(k('rbq'), 10);
        await C.waitFor(async () => (await blockedNamed(`io-${C.RUN_ID}-served`)) === 1, 'the consumer in BRPOP');
        await c.rpush(k('rbq'), 'x', 'y');
        assert.deepEqual(await popped, [k('rbq'), 'y']);
        served.disconnect();
        const zWant = [];
        for (let i = 2; i < 300; i++) zWant.push(`m${i}`, String(i));
        zWant.push('m0', '1000');
        const expected = {
            rh: hash,
            rhs: { name: 'Ada', visits: '3' },
            rl: ['first', ...Array.from({ length: 997 }, (_, i) => String(i + 2))],
            rs: ['a', 'c', 'd'],
            ri: Array.from({ length: 99 }, (_, i) => String(i + 1)).sort(),
            rz: zWant,
            tx: [{ state: 'paid' }, ['paid'], ['o1'], ['o1', '5']],
            rbq: ['x'],
        };
        const readBack = async () => ({
            rh: await c.hgetall(k('rh')),
            rhs: await c.hgetall(k('rhs')),
            rl: await c.lrange(k('rl'), 0, -1),
            rs: (await c.smembers(k('rs'))).sort(),
            ri: (await c.smembers(k('ri'))).sort(),
            rz: await c.zrange(k('rz'), 0, -1, 'WITHSCORES'),
            tx: [await c.hgetall(k('rorder')), await c.lrange(k('rlog'), 0, -1),
                await c.smembers(k('rpaid')), await c.zrange(k('ramounts'), 0, -1, 'WITHSCORES')],
            rbq: await c.lrange(k('rbq'), 0, -1),
        });
        assert.deepEqual(await readBack(), expected);
        // a subscriber (ioredis subscribes again by itself: autoResubscribe),
        // and a consumer still blocked in BRPOP when the server stops (ioredis
        // sends it again: autoResendUnfulfilledCommands)
        const sub = newClient();
        const msgs = [];
        sub.on('message', (ch, m) => msgs.push(['c', ch, m]));
        sub.on('pmessage', (pat, ch, m) => msgs.push(['p', ch, m]));
        await sub.subscribe(k('rch'));
        await sub.psubscribe(`${PREFIX}rpat.*`);
        const waiterName = `io-${C.RUN_ID}-waiter`;
        const waiter = newClient({ db: 2, connectionName: waiterName });
        const waiting = waiter.brpop(k('rwait'), 30);
        await C.waitFor(async () => (await blockedNamed(waiterName)) === 1, 'the waiter in BRPOP');
        const pidBefore = C.serverPid(await c.info('server'));

        await C.restartServer();

        // the same client objects, no application-level retry
        assert.equal(await redis.get(k('db0')), 'zero');
        const vals = await c.mget(...Array.from({ length: 2000 }, (_, i) => k(`r${i}`)));
        assert.deepEqual(vals, Array.from({ length: 2000 }, (_, i) => `val${i}`));
        assert.equal(await c.get(k('rc')), '250');
        const ttl = await c.ttl(k('rttl'));
        assert.ok(ttl > 900 && ttl <= 1000, `ttl ${ttl}`);
        assert.equal(await c.exists(k('rdel')), 0);
        assert.equal(await c.get(k('db0')), null, 'the reconnected client is still on db 2');
        assert.equal(await c.client('GETNAME'), 'io-restart');
        assert.equal(await c.incr(k('rc')), 251);
        assert.notEqual(C.serverPid(await c.info('server')), pidBefore, 'the server really restarted');
        assert.ok(reconnecting >= 1, 'client saw the connection drop');
        assert.deepEqual(await readBack(), expected);
        // the waiter's BRPOP, sent again, is served by a push after the restart
        await C.waitFor(async () => (await blockedNamed(waiterName)) === 1, 'the waiter in BRPOP again');
        assert.equal(await c.lpush(k('rwait'), 'late job'), 1);
        assert.deepEqual(await waiting, [k('rwait'), 'late job']);
        assert.equal(await c.exists(k('rwait')), 0);
        waiter.disconnect();
        // a message published with no receiver is gone, so publish until the
        // resubscribed channel and pattern each count one
        await C.waitFor(async () => (await redis.publish(k('rch'), 'after')) === 1, 'the channel resubscribed');
        await C.waitFor(async () => (await redis.publish(`${PREFIX}rpat.x`, 'after')) === 1, 'the pattern resubscribed');
        await C.waitFor(() => msgs.length >= 2, 'the messages');
        assert.deepEqual(msgs, [['c', k('rch'), 'after'], ['p', `${PREFIX}rpat.x`, 'after']]);
        sub.disconnect();
        await cleanup(c);
        c.disconnect();
    });
});
