'use strict';
// ioredis (v5) used as an application uses it, against holdfast or a real
// redis-server.  Run: node --test test/ioredis.test.js (see common.js for the
// environment).  Every test uses its own key prefix and deletes its own keys;
// the server is never flushed.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const Redis = require('ioredis');
const C = require('./common');

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
    it('set/get with options, binary values', async () => {
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

    it('counters, floats, string edits', async () => {
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
    it('EX/PX, ttl, keys disappear', async () => {
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
    it('pipeline(): results in order, errors in place', async () => {
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

    it('enableAutoPipelining: concurrent commands batched, results exact', async () => {
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

    it('multi(): MULTI/EXEC transaction and WATCH', async (t) => {
        const unknown = await C.probeUnknown('MULTI');
        if (unknown) { t.skip(`MULTI not implemented by this server yet (${unknown})`); return; }
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
    it('scanStream returns exactly the keys written', async () => {
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
    it('several clients in parallel (a pool), no lost update', async () => {
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

    it('connectionName, db, info', async () => {
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

    it('RESP3', (t) => {
        t.skip('ioredis v5 speaks RESP2 only');
    });

    it('pub/sub: subscribe, psubscribe, publish', async (t) => {
        const unknown = await C.probeUnknown('SUBSCRIBE', k('probe'));
        if (unknown) { t.skip(`pub/sub not implemented by this server yet (${unknown})`); return; }
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

describe('restart', () => {
    it('reconnects after a server restart; acknowledged writes are kept', async (t) => {
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
        await cleanup(c);
        c.disconnect();
    });
});
