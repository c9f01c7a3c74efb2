"""Shared by the redis-py suite's files (test_redis_py.py runs them all): the
server address from the environment, client and restart helpers, and Base, the
TestCase whose tests each work under their own random key prefix."""

import os
import subprocess
import sys
import time
import unittest
import uuid

try:
    import redis
    import redis.asyncio
    from redis.exceptions import ResponseError
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


def wait_until(pred, timeout=10, what="a condition"):
    """Poll pred() every 10 ms until it is true; fail the test after timeout s."""
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def blocked_clients_named(r, name_prefix):
    """How many connections whose CLIENT SETNAME starts with name_prefix are
    blocked (flags b) -- so that a producer pushes only once its consumers wait."""
    return sum(1 for c in r.client_list()
               if c.get("name", "").startswith(name_prefix) and "b" in c.get("flags", ""))


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
