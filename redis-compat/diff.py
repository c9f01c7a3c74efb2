#!/usr/bin/env python3
"""Differential test harness: holdfast-server vs. a real redis-server.

What it does
------------
Sends the *same* command stream to two servers ("A" = reference redis-server,
"B" = holdfast-server) over raw TCP sockets and compares the raw reply bytes
of every command byte for byte.  Python 3 standard library only (this file
and gen_types.py beside it).

Two kinds of tests:

* Scripted case files, ``cases/*.txt`` beside this script (``--cases DIR``).
  One command per line, quoted like redis-cli does ("..." with \\n \\r \\t \\"
  \\\\ \\xHH escapes, '...' literal), ``#`` comment lines and blank lines are
  ignored.  Every file runs on a fresh connection to each server after
  FLUSHALL and HELLO 2.  A line may start with a comparison prefix, for the
  few replies that legitimately differ between two servers:

    %sort  reply is a flat array/set; elements compared as a multiset
           (SMEMBERS SUNION ... of a hashtable set, KEYS, HKEYS/HVALS of a
           hashtable hash)
    %pairs field/value reply (flat array, RESP3 map, or array of 2-element
           arrays) compared as a multiset of pairs (HGETALL of a hashtable
           hash, HRANDFIELD ... WITHVALUES returning the whole hash,
           CONFIG GET with a pattern)
    %len   random reply: same type and number of elements, contents
           ignored (SRANDMEMBER SPOP HRANDFIELD ZRANDMEMBER); errors and
           integers exact
    %type  only the reply type (first byte) is compared
    %ok    both replies must be non-error replies
    %ttl   TTL-like integer: :-1 / :-2 must match exactly, otherwise both
           must be positive integers
    %scan  SCAN-like reply [cursor, [elems]]: both cursors must be "0" and
           the elements are compared as a multiset
    %scanpairs  the same for HSCAN/ZSCAN: [cursor "0", [field value ...]]
           compared as a multiset of pairs

  A test that runs CONFIG SET gets the settings in RESET_CONFIG put back
  (to the values each server had at start) before the next test.

* Seeded random streams (``--random N --seed S``): N random steps (one
  command, or a short group such as MULTI ... EXEC) from the chosen command
  families (``--families``, default strings,keyspace):

    strings keyspace   defined here: a tiny key space (6 keys, DBs 0-2)
                       with edge-case values and randomly chosen (sometimes
                       invalid) options, so that collisions, overflow and
                       error paths are exercised
    hash list set zset bitmap sort multi
                       defined in gen_types.py (see its comment for how
                       replies whose order is random are told apart from
                       those compared exactly); "types" = the first five,
                       "all" = every family

  Several families in one stream share the keys (so WRONGTYPE happens);
  ``--per-family`` runs one stream per family instead.  All expiry times
  are far in the future (or in the past for commands that then delete the
  key at once), so nothing expires during a run; time-dependent replies are
  compared with the %ttl / %type rules.  ``--stream FAMILIES:N:SEED[:resp3]``
  adds one stream with its own size (run-diff.sh uses it).

A "test" is one case file or one random stream.  The last line printed is
``N passed, N failed``; exit status is 0 iff nothing failed.

How to run
----------
    ./diff.py                            # start redis + holdfast, run cases
    ./diff.py --random 5000 --seed 42    # cases + one random stream
    ./diff.py --random 2000 --seed 1 --seed 2 --resp3-seed 3
    ./diff.py --no-cases --families hash --random 20000 --seed 7 --resp3-seed 8
    ./diff.py --no-cases --families types --per-family --random 20000 --seed 1
    ./diff.py --holdfast build/src/holdfast-server --only strings.txt -v
    ./diff.py --b-server redis-server    # redis vs redis (self-check)
    ./diff.py --a-port 6379 --b-port 6380   # servers already running

By default both servers are started on free ports in temporary directories
(with LC_ALL=C: SORT ... ALPHA collates with strcoll):
redis as ``$REDIS_SERVER --port P --save '' --appendonly no --dir TMP``
(REDIS_SERVER defaults to ``redis-server``) and holdfast as
``$HOLDFAST_SERVER --port Q --dir TMP2`` (HOLDFAST_SERVER / --holdfast, else
``../src/holdfast-server`` or ``../build/src/holdfast-server`` relative to
this script).

Replaying a failure
-------------------
Every mismatch is printed with its file:line (or stream seed and step index,
#step.n inside a group), the command in case-file syntax, both raw replies
(repr) and the preceding commands.  A failed stream prints its replay
command (``--no-cases --families F --random N --seed S [--resp3]``).
``--emit-random`` prints the random stream in case-file syntax instead of
running it: cut it down to a minimal reproduction and add it to cases/.
"""

import argparse
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
import gen_types  # noqa: E402  (the data-type generators, beside this file)

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# RESP2 / RESP3 frame reader
# --------------------------------------------------------------------------


class ProtocolError(Exception):
    """The server sent something that is not a well-formed RESP frame."""


class ConnectionClosed(Exception):
    """The server closed the connection (or a read timed out)."""


MAX_BLOB = 1 << 31      # refuse absurd lengths instead of waiting forever


class RespReader:
    """Reads complete RESP frames from a socket and returns their raw bytes.

    The reply is validated strictly (CRLF line ends, numeric lengths, the
    CRLF after blob payloads, ...) so that malformed output from the server
    under test is reported instead of silently misparsed.
    """

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ConnectionClosed("timed out waiting for a reply")
        except OSError as e:
            raise ConnectionClosed("recv failed: %s" % e)
        if not data:
            raise ConnectionClosed("connection closed by server")
        self.buf += data

    def _line(self):
        """Return the next line (without CRLF), advancing the position."""
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                if b"\n" in line or b"\r" in line:
                    raise ProtocolError("bare CR or LF in line %r" % line)
                self.pos = i + 2
                return line
            if b"\n" in self.buf[self.pos:]:
                raise ProtocolError("line not terminated by CRLF: %r"
                                    % bytes(self.buf[self.pos:self.pos + 80]))
            self._fill()

    def _bytes(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise ProtocolError("blob payload of %d bytes not followed by CRLF" % n)
        self.pos += n + 2

    @staticmethod
    def _int(s, what):
        try:
            if not s or s != s.strip() or s.startswith(b"+"):
                raise ValueError
            return int(s)
        except ValueError:
            raise ProtocolError("bad %s %r" % (what, s))

    def _frame(self, depth=0):
        """Consume one frame.  Types (RESP2 and RESP3):
        lines      + simple string, - error, : integer, _ null, , double,
                   # boolean, ( big number
        blobs      $ bulk string ($-1 = RESP2 null), ! blob error,
                   = verbatim string; $? = streamed string (;len chunks)
        aggregates * array (*-1 = RESP2 null), ~ set, > push, % map and
                   | attribute (2*count elements; an attribute is followed
                   by the reply it annotates); *? etc. = streamed, ends '.'
        """
        if depth > 64:
            raise ProtocolError("nesting too deep")
        line = self._line()
        if not line:
            raise ProtocolError("empty line where a frame was expected")
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return
        if t == b":":
            self._int(rest, "integer")
        elif t == b"_":
            if rest:
                raise ProtocolError("null with payload %r" % line)
        elif t == b"#":
            if rest not in (b"t", b"f"):
                raise ProtocolError("bad boolean %r" % line)
        elif t == b",":
            try:
                float(rest.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                raise ProtocolError("bad double %r" % line)
        elif t == b"(":
            self._int(rest, "big number")
        elif t in (b"$", b"!", b"="):
            if t == b"$" and rest == b"?":        # RESP3 streamed string
                while True:
                    chunk = self._line()
                    if chunk[:1] != b";":
                        raise ProtocolError("bad streamed chunk %r" % chunk)
                    n = self._int(chunk[1:], "chunk length")
                    if n == 0:
                        return
                    self._bytes(n)
            n = self._int(rest, "length")
            if n == -1 and t == b"$":             # RESP2 null bulk
                return
            if n < 0 or n > MAX_BLOB:
                raise ProtocolError("bad length %r" % line)
            self._bytes(n)
        elif t in (b"*", b"~", b">", b"%", b"|"):
            if rest == b"?":                      # RESP3 streamed aggregate
                while True:
                    if self._peek_end():
                        return
                    self._frame(depth + 1)
            n = self._int(rest, "count")
            if n == -1 and t == b"*":             # RESP2 null array
                return
            if n < 0:
                raise ProtocolError("bad count %r" % line)
            if t in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                self._frame(depth + 1)
            if t == b"|":                          # attribute: the real reply follows
                self._frame(depth)
        else:
            raise ProtocolError("unknown type byte %r in %r" % (t, line[:80]))

    def _peek_end(self):
        while len(self.buf) - self.pos < 3:
            self._fill()
        if self.buf[self.pos:self.pos + 3] == b".\r\n":
            self.pos += 3
            return True
        return False

    def read_reply(self):
        """Read exactly one complete reply; return its raw bytes."""
        start = self.pos
        self._frame()
        raw = bytes(self.buf[start:self.pos])
        del self.buf[:self.pos]
        self.pos = 0
        return raw


def split_aggregate(raw):
    """Split a raw aggregate reply into (header_line, [raw elements]).

    Arrays, sets and pushes give their elements, a RESP3 map gives its keys
    and values alternately.  Returns None for anything else (including the
    RESP2 null array).
    """
    if raw[:1] not in (b"*", b"~", b">", b"%"):
        return None
    hdr_end = raw.index(b"\r\n") + 2
    header = raw[:hdr_end]
    try:
        count = int(header[1:-2])
    except ValueError:
        return None
    if count < 0:
        return None
    if raw[:1] == b"%":
        count *= 2

    class _Sock:          # feed the already complete bytes to a reader
        def recv(self, _n):
            return b""

    rd = RespReader(_Sock())
    rd.buf = bytearray(raw[hdr_end:])
    elems = []
    for _ in range(count):
        elems.append(rd.read_reply())
    if rd.buf:
        return None
    return header, elems


def encode_command(args):
    """Encode a list of bytes arguments as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --------------------------------------------------------------------------
# Connections and servers
# --------------------------------------------------------------------------


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = RespReader(self.sock)

    def send(self, args):
        try:
            self.sock.sendall(encode_command(args))
        except OSError as e:
            raise ConnectionClosed("send failed: %s" % e)

    def call(self, args):
        self.send(args)
        raw = self.reader.read_reply()
        if self.reader.buf:
            # We wait for each reply before sending the next command, so
            # anything left over is a second reply to one command.
            raise ProtocolError("extra bytes after the reply: %r"
                                % bytes(self.reader.buf[:100]))
        return raw

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server: either started here (argv given) or already running."""

    def __init__(self, name, port, argv=None, keep=False):
        self.name = name
        self.port = port
        self.argv = argv
        self.keep = keep
        self.proc = None
        self.tmpdir = None
        self.log = None

    def start(self):
        if self.argv is None:
            self.wait_ready()
            return
        self.tmpdir = tempfile.mkdtemp(prefix="holdfast-diff-%s-" % self.name)
        binary = self.argv[0]
        if os.sep in binary:            # the server runs in its temp dir
            binary = os.path.abspath(binary)
        argv = [binary] + [a.replace("{PORT}", str(self.port)).replace("{DIR}", self.tmpdir)
                for a in self.argv[1:]]
        self.log = os.path.join(self.tmpdir, "server.log")
        with open(self.log, "wb") as logf:
            try:
                # C collation for both: SORT ... ALPHA uses strcoll().
                env = dict(os.environ, LC_ALL="C")
                self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=self.tmpdir,
                                             env=env)
            except OSError as e:
                raise RuntimeError("cannot start %s (%s): %s" % (self.name, argv[0], e))
        self.wait_ready()

    def alive(self):
        return self.proc is None or self.proc.poll() is None

    def wait_ready(self, timeout=15.0):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during startup\n%s"
                                   % (self.name, self.proc.returncode, self.log_tail()))
            try:
                c = Conn(self.port, timeout=2.0)
                try:
                    if c.call([b"PING"]) == b"+PONG\r\n":
                        return
                    last = "unexpected PING reply"
                finally:
                    c.close()
            except (OSError, ConnectionClosed, ProtocolError) as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError("%s on port %d not ready after %.0fs (%s)\n%s"
                           % (self.name, self.port, timeout, last, self.log_tail()))

    def log_tail(self, n=12):
        if not self.log or not os.path.exists(self.log):
            return ""
        with open(self.log, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join("  | " + l[:160] for l in lines[-n:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.tmpdir and not self.keep:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def restart(self):
        self.stop()
        self.start()


def redis_argv(binary):
    return [binary, "--port", "{PORT}", "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", "{DIR}"]


def holdfast_argv(binary):
    if os.path.basename(binary).startswith("redis-server"):
        return redis_argv(binary)      # self-check mode: a second redis
    return [binary, "--port", "{PORT}", "--dir", "{DIR}"]


def find_holdfast():
    env = os.environ.get("HOLDFAST_SERVER")
    if env:
        return env
    for rel in ("../src/holdfast-server", "../build/src/holdfast-server",
                "build/src/holdfast-server", "src/holdfast-server"):
        for base in (HERE, os.getcwd()):
            p = os.path.normpath(os.path.join(base, rel))
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
    return None


# --------------------------------------------------------------------------
# Case-file syntax
# --------------------------------------------------------------------------

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a",
           '"': '"', "\\": "\\"}


def split_args(line):
    """Split a line into bytes arguments like redis-cli (sdssplitargs)."""
    data = line.encode("utf-8", "surrogateescape")
    args = []
    i, n = 0, len(data)
    while True:
        while i < n and data[i:i + 1].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise ValueError("unterminated double quote")
                c = data[i:i + 1]
                if c == b"\\" and data[i + 1:i + 2] == b"x" and _ishex(data[i + 2:i + 4]):
                    cur.append(int(data[i + 2:i + 4], 16))
                    i += 3
                elif c == b"\\" and i + 1 < n:
                    e = chr(data[i + 1])
                    cur += ESCAPES.get(e, e).encode("latin-1")
                    i += 1
                elif c == b'"':
                    if i + 1 < n and not data[i + 1:i + 2].isspace():
                        raise ValueError("closing quote must be followed by a space")
                    inq = False
                    i += 1
                    break
                else:
                    cur += c
            elif insq:
                if i >= n:
                    raise ValueError("unterminated single quote")
                c = data[i:i + 1]
                if c == b"\\" and data[i + 1:i + 2] == b"'":
                    cur += b"'"
                    i += 1
                elif c == b"'":
                    if i + 1 < n and not data[i + 1:i + 2].isspace():
                        raise ValueError("closing quote must be followed by a space")
                    insq = False
                    i += 1
                    break
                else:
                    cur += c
            else:
                if i >= n:
                    break
                c = data[i:i + 1]
                if c.isspace():
                    break
                if c == b'"':
                    inq = True
                elif c == b"'":
                    insq = True
                else:
                    cur += c
            i += 1
        args.append(bytes(cur))


def _ishex(b):
    return len(b) == 2 and all(ch in b"0123456789abcdefABCDEF" for ch in b)


def quote_arg(a):
    """Inverse of split_args for one argument (for printing commands)."""
    if a and all(33 <= ch < 127 and ch not in b"\"'\\#" for ch in a):
        return a.decode("ascii")
    out = ['"']
    for ch in a:
        c = chr(ch)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    out.append('"')
    return "".join(out)


def format_command(args, mode="exact"):
    s = " ".join(quote_arg(a) for a in args)
    return s if mode == "exact" else "%" + mode + " " + s


MODES = ("sort", "type", "ok", "ttl", "scan", "pairs", "len", "scanpairs")


def parse_case_file(path):
    """Return a list of (lineno, mode, args)."""
    cases = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for lineno, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            mode = "exact"
            if s.startswith("%"):
                word, _, s = s.partition(" ")
                mode = word[1:]
                if mode not in MODES:
                    raise ValueError("%s:%d: unknown prefix %s" % (path, lineno, word))
            try:
                args = split_args(s)
            except ValueError as e:
                raise ValueError("%s:%d: %s" % (path, lineno, e))
            if not args:
                raise ValueError("%s:%d: empty command" % (path, lineno))
            cases.append((lineno, mode, args))
    return cases


# --------------------------------------------------------------------------
# Reply comparison
# --------------------------------------------------------------------------


def is_error(raw):
    return raw[:1] in (b"-", b"!")


def _positive_int(raw):
    if raw[:1] != b":":
        return False
    try:
        return int(raw[1:-2]) > 0
    except ValueError:
        return False


def _pairs(raw):
    """(header, sorted pairs) of a field/value reply, or None.

    Accepts a RESP3 map, an array of 2-element arrays (RESP3 HRANDFIELD
    WITHVALUES, ZRANGE WITHSCORES) or a flat array of even length.
    """
    sp = split_aggregate(raw)
    if sp is None:
        return None
    header, elems = sp
    if elems and all(e.startswith(b"*2\r\n") for e in elems):
        return header, sorted(elems)
    if len(elems) % 2:
        return None
    return header, sorted(zip(elems[0::2], elems[1::2]))


def _scan_parts(raw):
    """(elements reply) of a finished SCAN-like reply [cursor "0", [...]]."""
    sp = split_aggregate(raw)
    if sp is None or len(sp[1]) != 2 or sp[1][0] != b"$1\r\n0\r\n":
        return None
    return sp[1][1]


def _same_shape(a, b):
    """%len: same reply type and size, contents ignored (random replies)."""
    if is_error(a) or is_error(b) or a[:1] == b":" or b[:1] == b":":
        return a == b
    sa, sb = split_aggregate(a), split_aggregate(b)
    if sa is not None or sb is not None:
        return sa is not None and sb is not None and sa[0] == sb[0]
    if a[:1] == b"$" and b[:1] == b"$":          # null bulk vs. a string
        return (a == b"$-1\r\n") == (b == b"$-1\r\n")
    return a[:1] == b[:1]


def replies_match(mode, a, b):
    if mode == "exact" or a == b:
        return a == b
    if mode == "type":
        return a[:1] == b[:1]
    if mode == "ok":
        return not is_error(a) and not is_error(b)
    if mode == "ttl":
        return _positive_int(a) and _positive_int(b)
    if mode == "sort":
        sa, sb = split_aggregate(a), split_aggregate(b)
        return (sa is not None and sb is not None and sa[0] == sb[0]
                and sorted(sa[1]) == sorted(sb[1]))
    if mode == "pairs":
        pa, pb = _pairs(a), _pairs(b)
        return pa is not None and pa == pb
    if mode == "len":
        return _same_shape(a, b)
    if mode in ("scan", "scanpairs"):
        ea, eb = _scan_parts(a), _scan_parts(b)
        if ea is None or eb is None:
            return False           # both must finish the scan in one call
        return replies_match("sort" if mode == "scan" else "pairs", ea, eb)
    raise ValueError(mode)


# --------------------------------------------------------------------------
# Random command generator
# --------------------------------------------------------------------------

KEYS = [b"a", b"b", b"c", b"k:1", b"k{x}", b""]
KEY_PATTERNS = [b"*", b"k*", b"?", b"[ab]", b"[^a]", b"k:?", b"*:*", b"\\*", b"",
                b"[a-c]", b"k\\:1", b"*{*}", b"[", b"a*", b"??", b"*\\"]
INT_VALUES = [b"0", b"1", b"-1", b"2", b"10", b"100", b"-100", b"9999", b"10000",
              b"9223372036854775807", b"-9223372036854775808",
              b"9223372036854775806", b"-9223372036854775807",
              b"9223372036854775808", b"-9223372036854775809",
              b"4611686018427387904", b"12345678901234567890"]
ODD_INTS = [b"-0", b"007", b"+1", b" 1", b"1 ", b"1 2", b"0x10", b"1e3", b"--1", b"-"]
FLOAT_VALUES = [b"1.5", b"10.5", b"-2.25", b"3.0e3", b"5.0e-3", b"0.1", b"1e-20",
                b"1e308", b"-1e308", b"1.", b".5", b"1,5", b"inf", b"-inf", b"nan",
                b"+inf", b"1e", b"3.14159265358979323846", b"-0.0", b"0.0"]
STR_VALUES = [b"", b"abc", b"hello world", b"x" * 44, b"y" * 45, b"\x00\x01\xff",
              "\u00e9t\u00e9".encode(), b"a\r\nb", b"OK", b"nil", b" "]
# Relative expiry times (seconds / milliseconds).  All distinct from each
# other when converted to an absolute time, so GT/LT never compare two equal
# values, and far enough in the future that nothing expires during a run.
REL_SECONDS = [b"100000000", b"200000000", b"300000000"]
REL_MILLIS = [b"150000000000", b"250000000000"]
ABS_SECONDS = [b"4102444800", b"4102444801", b"5000000000"]
ABS_MILLIS = [b"4102444800000", b"4102444800500", b"5000000000001"]
PAST_SECONDS = [b"1", b"0", b"-5"]
PAST_MILLIS = [b"1000", b"1"]
BAD_NUMBERS = [b"abc", b"", b"1.5", b"9223372036854775808", b" 5"]
HUGE_TIMES = [b"9223372036854775807", b"-9223372036854775808", b"9223372036854775000"]


FAMILIES = ["strings", "keyspace", "hash", "list", "set", "zset", "bitmap", "sort", "multi"]
FAMILY_GROUPS = {"all": FAMILIES, "types": ["hash", "list", "set", "zset", "bitmap"],
                 "default": ["strings", "keyspace"]}
DEFAULT_FAMILIES = "strings,keyspace"


def parse_families(spec):
    """'hash,list' / 'types' / 'all' -> list of family names (ValueError)."""
    out = []
    for part in spec.split(","):
        part = part.strip().lower()
        if not part:
            continue
        names = FAMILY_GROUPS.get(part, [part])
        for n in names:
            if n not in FAMILIES:
                raise ValueError("unknown family %r (known: %s, or %s)"
                                 % (n, ", ".join(FAMILIES), ", ".join(FAMILY_GROUPS)))
            if n not in out:
                out.append(n)
    if not out:
        raise ValueError("no family given")
    return out


class RandomStream(gen_types.TypeGenerators):
    """Generates random commands of the chosen families (see gen_types for
    the data types).  next() returns a list of (mode, args)."""

    def __init__(self, seed, families=("strings", "keyspace")):
        self.r = random.Random(seed)
        self.families = list(families)
        self.st = gen_types.KeyState()
        # (family, weight, fn); the order of the string/keyspace entries is
        # that of the first version, so their streams stay as they were.
        base = [
            ("strings", 10, self.g_set), ("strings", 6, self.g_get),
            ("strings", 3, self.g_setnx), ("strings", 2, self.g_setex),
            ("strings", 2, self.g_psetex), ("strings", 2, self.g_getset),
            ("strings", 2, self.g_getdel), ("strings", 3, self.g_getex),
            ("strings", 3, self.g_mget), ("strings", 3, self.g_mset),
            ("strings", 2, self.g_msetnx), ("strings", 4, self.g_append),
            ("strings", 2, self.g_strlen), ("strings", 3, self.g_getrange),
            ("strings", 3, self.g_setrange), ("strings", 5, self.g_incr),
            ("strings", 4, self.g_incrbyfloat), ("keyspace", 3, self.g_del),
            ("keyspace", 2, self.g_exists), ("keyspace", 2, self.g_type),
            ("keyspace", 2, self.g_keys), ("keyspace", 1, self.g_scan),
            ("keyspace", 1, self.g_randomkey), ("keyspace", 2, self.g_rename),
            ("keyspace", 2, self.g_copy), ("keyspace", 2, self.g_move),
            ("keyspace", 5, self.g_expire), ("keyspace", 4, self.g_ttl),
            ("keyspace", 2, self.g_persist), ("keyspace", 1, self.g_touch),
            ("keyspace", 1, self.g_dbsize), ("keyspace", 3, self.g_select),
            ("keyspace", 1, self.g_swapdb), ("keyspace", 2, self.g_encoding),
            ("keyspace", 0.3, self.g_flush),
        ]
        every = base + self.type_generators()
        self.gens = [g for g in every if g[0] in self.families]
        self.total = sum(w for _, w, _ in self.gens)
        # What the multi family queues: the other chosen families, or the
        # data types when it is alone.
        inner = [g for g in self.gens if g[0] != "multi"]
        self.inner_gens = inner or [g for g in every if g[0] in FAMILY_GROUPS["types"]]

    def pick(self, pool=None):
        """A weighted random (family, generator) of self.gens (or pool)."""
        gens = self.gens if pool is None else pool
        total = self.total if pool is None else sum(w for _, w, _ in gens)
        x = self.r.random() * total
        for fam, w, fn in gens:
            x -= w
            if x < 0:
                break
        return fam, fn

    # helpers -------------------------------------------------------------
    def key(self):
        return self.r.choice(KEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def value(self):
        x = self.r.random()
        if x < 0.40:
            return self.r.choice(INT_VALUES[:9])
        if x < 0.55:
            return self.r.choice(INT_VALUES)
        if x < 0.62:
            return self.r.choice(ODD_INTS)
        if x < 0.78:
            return self.r.choice(FLOAT_VALUES)
        return self.r.choice(STR_VALUES)

    def integer(self):
        x = self.r.random()
        if x < 0.75:
            return str(self.r.randint(-20, 20)).encode()
        if x < 0.9:
            return self.r.choice(INT_VALUES)
        return self.r.choice(BAD_NUMBERS + ODD_INTS)

    def casing(self, word):
        """Commands and options are case-insensitive: mangle case now and then."""
        if self.r.random() < 0.15:
            return bytes(c ^ 0x20 if chr(c).isalpha() and self.r.random() < 0.5 else c
                         for c in word)
        return word

    def rel(self, unit):
        x = self.r.random()
        if x < 0.80:
            return self.r.choice(REL_SECONDS if unit == "s" else REL_MILLIS)
        if x < 0.88:
            return self.r.choice([b"0", b"-1", b"-100"])
        if x < 0.95:
            return self.r.choice(BAD_NUMBERS)
        return self.r.choice(HUGE_TIMES)

    def absolute(self, unit, past=True):
        x = self.r.random()
        if x < 0.80:
            return self.r.choice(ABS_SECONDS if unit == "s" else ABS_MILLIS)
        if x < 0.90:
            if not past:
                return self.r.choice(BAD_NUMBERS)
            return self.r.choice(PAST_SECONDS if unit == "s" else PAST_MILLIS)
        if x < 0.95:
            return self.r.choice(BAD_NUMBERS)
        return self.r.choice(HUGE_TIMES)

    def db(self):
        x = self.r.random()
        if x < 0.9:
            return str(self.r.randint(0, 2)).encode()
        return self.r.choice([b"16", b"-1", b"abc", b"", b"1.0", b"15"])

    # generators: each returns (mode, [args]) -----------------------------
    def g_set(self):
        args = [b"SET", self.key(), self.value()]
        # No past EXAT/PXAT here: Redis 7.0 then keeps an already expired key
        # that DBSIZE counts until active expiry happens to reclaim it, at a
        # moment that differs between servers.  (EXPIREAT and GETEX delete
        # such keys at once, so they do get past times.)
        pool = [[b"NX"], [b"XX"], [b"GET"], [b"KEEPTTL"],
                [b"EX", self.rel("s")], [b"PX", self.rel("ms")],
                [b"EXAT", self.absolute("s", past=False)],
                [b"PXAT", self.absolute("ms", past=False)]]
        for _ in range(self.r.choice([0, 0, 1, 1, 1, 2, 2, 3])):
            args += self.r.choice(pool)
        if self.r.random() < 0.04:
            args += [self.r.choice([b"FOO", b"EX", b"PX", b"EXAT", b"1"])]
        return "exact", args

    def g_get(self):
        return "exact", [b"GET", self.key()]

    def g_setnx(self):
        return "exact", [b"SETNX", self.key(), self.value()]

    def g_setex(self):
        return "exact", [b"SETEX", self.key(), self.rel("s"), self.value()]

    def g_psetex(self):
        return "exact", [b"PSETEX", self.key(), self.rel("ms"), self.value()]

    def g_getset(self):
        return "exact", [b"GETSET", self.key(), self.value()]

    def g_getdel(self):
        return "exact", [b"GETDEL", self.key()]

    def g_getex(self):
        args = [b"GETEX", self.key()]
        pool = [[b"EX", self.rel("s")], [b"PX", self.rel("ms")],
                [b"EXAT", self.absolute("s")], [b"PXAT", self.absolute("ms")],
                [b"PERSIST"]]
        n = self.r.choice([0, 1, 1, 1, 1, 2])
        for _ in range(n):
            args += self.r.choice(pool)
        if self.r.random() < 0.05:
            args += [self.r.choice([b"KEEPTTL", b"NX", b"EX"])]
        return "exact", args

    def g_mget(self):
        return "exact", [b"MGET"] + self.keys(1, 5)

    def g_mset(self):
        args = [b"MSET"]
        for k in self.keys(1, 3):
            args += [k, self.value()]
        if self.r.random() < 0.05:
            args.pop()
        return "exact", args

    def g_msetnx(self):
        args = [b"MSETNX"]
        for k in self.keys(1, 3):
            args += [k, self.value()]
        if self.r.random() < 0.05:
            args.pop()
        return "exact", args

    def g_append(self):
        v = self.value() if self.r.random() < 0.8 else self.r.choice([b"", b"1", b"z"])
        return "exact", [b"APPEND", self.key(), v]

    def g_strlen(self):
        return "exact", [b"STRLEN", self.key()]

    def g_getrange(self):
        cmd = b"GETRANGE" if self.r.random() < 0.8 else b"SUBSTR"
        return "exact", [cmd, self.key(), self.integer(), self.integer()]

    def g_setrange(self):
        x = self.r.random()
        if x < 0.85:
            off = str(self.r.randint(0, 12)).encode()
        elif x < 0.92:
            off = self.r.choice([b"-1", b"536870912", b"9223372036854775807", b"abc"])
        else:
            # huge offsets only with an empty value (never allocates)
            return "exact", [b"SETRANGE", self.key(),
                             self.r.choice([b"536870911", b"536870912", b"4294967296"]), b""]
        return "exact", [b"SETRANGE", self.key(), off, self.value()]

    def g_incr(self):
        c = self.r.choice([b"INCR", b"DECR", b"INCRBY", b"DECRBY"])
        if c in (b"INCR", b"DECR"):
            return "exact", [c, self.key()]
        return "exact", [c, self.key(), self.integer()]

    def g_incrbyfloat(self):
        x = self.r.random()
        if x < 0.6:
            inc = self.r.choice(FLOAT_VALUES[:7] + INT_VALUES[:8])
        else:
            inc = self.value()
        return "exact", [b"INCRBYFLOAT", self.key(), inc]

    def g_del(self):
        return "exact", [self.r.choice([b"DEL", b"UNLINK"])] + self.keys(1, 3)

    def g_exists(self):
        return "exact", [b"EXISTS"] + self.keys(1, 4)

    def g_type(self):
        return "exact", [b"TYPE", self.key()]

    def g_keys(self):
        return "sort", [b"KEYS", self.r.choice(KEY_PATTERNS)]

    def g_scan(self):
        args = [b"SCAN", b"0"]
        if self.r.random() < 0.5:
            args += [b"MATCH", self.r.choice(KEY_PATTERNS)]
        args += [b"COUNT", b"1000"]
        if self.r.random() < 0.3:
            args += [b"TYPE", self.r.choice([b"string", b"list", b"none"])]
        return "scan", args

    def g_randomkey(self):
        return "type", [b"RANDOMKEY"]

    def g_rename(self):
        return "exact", [self.r.choice([b"RENAME", b"RENAMENX"]), self.key(), self.key()]

    def g_copy(self):
        args = [b"COPY", self.key(), self.key()]
        if self.r.random() < 0.6:
            args += [b"DB", self.db()]
        if self.r.random() < 0.4:
            args += [b"REPLACE"]
        if self.r.random() < 0.2:      # options in odd orders (some invalid)
            tail = args[3:]
            self.r.shuffle(tail)
            args = args[:3] + tail
        return "exact", args

    def g_move(self):
        return "exact", [b"MOVE", self.key(), self.db()]

    def g_expire(self):
        c = self.r.choice([b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"])
        t = {b"EXPIRE": lambda: self.rel("s"), b"PEXPIRE": lambda: self.rel("ms"),
             b"EXPIREAT": lambda: self.absolute("s"),
             b"PEXPIREAT": lambda: self.absolute("ms")}[c]()
        args = [c, self.key(), t]
        if self.r.random() < 0.4:
            # GT/LT compare old and new expiry: only deterministic when the new
            # time is absolute (relative ones depend on the server's clock).
            opts = [b"NX", b"XX"] + ([b"GT", b"LT"] if c.endswith(b"AT") else [])
            args.append(self.r.choice(opts))
            if self.r.random() < 0.15:
                args.append(self.r.choice([b"NX", b"XX", b"FOO"] +
                                          ([b"GT", b"LT"] if c.endswith(b"AT") else [])))
        return "exact", args

    def g_ttl(self):
        c = self.r.choice([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"])
        return "ttl", [c, self.key()]

    def g_persist(self):
        return "exact", [b"PERSIST", self.key()]

    def g_touch(self):
        return "exact", [b"TOUCH"] + self.keys(1, 3)

    def g_dbsize(self):
        return "exact", [b"DBSIZE"]

    def g_select(self):
        return "exact", [b"SELECT", self.db()]

    def g_swapdb(self):
        return "exact", [b"SWAPDB", self.db(), self.db()]

    def g_encoding(self):
        return "exact", [b"OBJECT", b"ENCODING", self.key()]

    def g_flush(self):
        if self.r.random() < 0.7:
            return "exact", [b"FLUSHDB"] + ([self.r.choice([b"SYNC", b"ASYNC"])]
                                           if self.r.random() < 0.3 else [])
        return "exact", [b"FLUSHALL"]

    def next(self):
        """The next step: a list of (mode, args), usually one command."""
        fam, fn = self.pick()
        out = fn()
        if isinstance(out, list):          # sent as generated (see gen_types)
            cmds = [(mode, [self.casing(args[0])] + args[1:]) for mode, args in out]
        else:
            mode, args = out
            args = [self.casing(args[0])] + args[1:]
            # Occasionally break the arity on purpose.
            if self.r.random() < 0.02:
                if len(args) > 1 and self.r.random() < 0.5:
                    args = args[:-1]
                else:
                    extra = self.value()
                    if fam not in ("strings", "keyspace") and extra in KEYS:
                        extra = b"nokey"       # keep the key model exact
                    args = args + [extra]
            cmds = [(mode, args)]
        if not isinstance(out, gen_types.Applied):
            for _, args in cmds:
                self.st.apply(args)
        return cmds


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------


# Settings that tests change with CONFIG SET; put back between tests.
RESET_CONFIG = [b"hash-max-listpack-entries", b"hash-max-listpack-value",
                b"set-max-intset-entries", b"zset-max-listpack-entries",
                b"zset-max-listpack-value", b"list-max-listpack-size",
                b"list-compress-depth"]


class Runner:
    def __init__(self, a, b, opts):
        self.a, self.b = a, b
        self.opts = opts
        self.passed = self.failed = 0
        self.commands = 0
        self.config = {}          # server name -> [name, value, ...] at start
        self.config_dirty = False

    def record_config(self):
        """Remember each server's values of RESET_CONFIG (those it knows)."""
        for s in (self.a, self.b):
            c = Conn(s.port, timeout=self.opts.timeout)
            try:
                pairs = []
                for n in RESET_CONFIG:
                    sp = split_aggregate(c.call([b"CONFIG", b"GET", n]))
                    if sp and len(sp[1]) == 2 and sp[1][1].startswith(b"$"):
                        v = sp[1][1]
                        pairs += [n, v[v.index(b"\r\n") + 2:-2]]
                self.config[s.name] = pairs
            finally:
                c.close()

    def reset_config(self, conns):
        """Undo the CONFIG SETs of the previous test (one pair at a time, so
        that a setting a server does not know cannot stop the others)."""
        for c, s in conns:
            pairs = self.config.get(s.name, [])
            for i in range(0, len(pairs), 2):
                c.call([b"CONFIG", b"SET", pairs[i], pairs[i + 1]])
        self.config_dirty = False

    def connect_pair(self):
        ca = Conn(self.a.port, timeout=self.opts.timeout)
        cb = Conn(self.b.port, timeout=self.opts.timeout)
        # Fresh state: empty databases and RESP2 on both connections.
        for c, s in ((ca, self.a), (cb, self.b)):
            r = c.call([b"FLUSHALL"])
            if r != b"+OK\r\n":
                print("warning: FLUSHALL on %s replied %r" % (s.name, r))
            c.call([b"HELLO", b"2"])
        if self.config_dirty:
            self.reset_config(((ca, self.a), (cb, self.b)))
        return ca, cb

    def ensure_alive(self):
        """Report a server that died (crashed) and start it again."""
        for s in (self.a, self.b):
            if not s.alive():
                print("!! %s died (exit status %s); its log ends with:\n%s\n!! restarting %s"
                      % (s.name, s.proc.returncode, s.log_tail(), s.name))
                s.restart()

    def run_test(self, name, commands, context_lines=0):
        """commands: iterable of (location, mode, args).  Returns ok."""
        self.ensure_alive()
        mismatches = 0
        history = []
        try:
            ca, cb = self.connect_pair()
        except (OSError, ConnectionClosed, ProtocolError) as e:
            print("FAIL %s: cannot set up connections: %s" % (name, e))
            self.failed += 1
            return False
        try:
            for loc, mode, args in commands:
                if len(args) > 1 and args[0].upper() == b"CONFIG" and args[1].upper() == b"SET":
                    self.config_dirty = True
                try:
                    ra = ca.call(args)
                except (ConnectionClosed, ProtocolError) as e:
                    print("FAIL %s at %s: reference server %s: %s\n    command: %s"
                          % (name, loc, self.a.name, e, format_command(args, mode)))
                    mismatches += 1
                    break
                try:
                    rb = cb.call(args)
                except (ConnectionClosed, ProtocolError) as e:
                    print("FAIL %s at %s: %s: %s\n    command: %s\n    %s: %r"
                          % (name, loc, self.b.name, type(e).__name__ + ": " + str(e),
                             format_command(args, mode), self.a.name, ra))
                    mismatches += 1
                    break
                self.commands += 1
                ok = replies_match(mode, ra, rb)
                if self.opts.verbose:
                    print("  %s %s %s\n      %s: %r%s" % (
                        "ok  " if ok else "DIFF", loc, format_command(args, mode),
                        self.a.name, ra, "" if ra == rb else "\n      %s: %r" % (self.b.name, rb)))
                if not ok:
                    mismatches += 1
                    if mismatches <= self.opts.max_report:
                        print("MISMATCH %s at %s\n    command: %s\n    %s: %r\n    %s: %r"
                              % (name, loc, format_command(args, mode),
                                 self.a.name, ra, self.b.name, rb))
                        if context_lines and history and not self.opts.verbose:
                            print("    preceding commands (reply from %s):" % self.a.name)
                            for hloc, hmode, hargs, hra in history[-context_lines:]:
                                print("      %s %s -> %r" % (hloc, format_command(hargs, hmode),
                                                             hra[:200]))
                    elif mismatches == self.opts.max_report + 1:
                        print("    ... further mismatches in %s not shown (--max-report)" % name)
                if context_lines:
                    history.append((loc, mode, args, ra))
                    del history[:-context_lines]
        finally:
            ca.close()
            cb.close()
        if mismatches:
            time.sleep(0.1)         # let a crashing server finish dying
            self.ensure_alive()
            print("FAIL %s (%d mismatching replies)" % (name, mismatches))
            self.failed += 1
            return False
        print("PASS %s" % name)
        self.passed += 1
        return True

    def run_case_file(self, path):
        name = os.path.basename(path)
        try:
            cases = parse_case_file(path)
        except (ValueError, OSError) as e:
            print("FAIL %s: %s" % (name, e))
            self.failed += 1
            return
        self.run_test(name, (("%s:%d" % (name, ln), mode, args) for ln, mode, args in cases))

    def run_random(self, spec):
        name = "random(%s)" % spec.describe()

        def stream():
            if spec.resp3:
                yield "hello", "type", [b"HELLO", b"3"]
            gen = RandomStream(spec.seed, spec.families)
            for i in range(spec.n):
                cmds = gen.next()
                for j, (mode, args) in enumerate(cmds):
                    yield ("#%d" % i if len(cmds) == 1 else "#%d.%d" % (i, j)), mode, args
        ok = self.run_test(name, stream(), context_lines=8)
        if not ok:
            print("    replay: %s --no-cases %s" % (sys.argv[0], spec.options()))


class StreamSpec:
    """One random stream: families, number of steps, seed, protocol."""

    def __init__(self, families, n, seed, resp3):
        self.families, self.n, self.seed, self.resp3 = families, n, seed, resp3

    @classmethod
    def parse(cls, text):
        """FAMILIES:N:SEED[:resp3], e.g. hash,list:1500:11:resp3."""
        parts = text.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].lower() != "resp3"):
            raise ValueError("bad stream %r (want FAMILIES:N:SEED[:resp3])" % text)
        return cls(parse_families(parts[0]), int(parts[1]), int(parts[2]), len(parts) == 4)

    def describe(self):
        return "%s, seed=%d, n=%d, %s" % ("+".join(self.families), self.seed, self.n,
                                          "RESP3" if self.resp3 else "RESP2")

    def options(self):
        return "--families %s --random %d --seed %d%s" % (
            ",".join(self.families), self.n, self.seed, " --resp3" if self.resp3 else "")


def emit_random(spec):
    print("# random stream: %s" % spec.options())
    if spec.resp3:
        print("%type HELLO 3")
    gen = RandomStream(spec.seed, spec.families)
    for i in range(spec.n):
        for mode, args in gen.next():
            print(format_command(args, mode))


def parse_seeds(values):
    seeds = []
    for v in values or []:
        for part in v.split(","):
            if part.strip():
                seeds.append(int(part))
    return seeds


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Compare raw replies of redis-server and holdfast-server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the comment at the top of this script for details.")
    p.add_argument("--holdfast", help="holdfast-server binary (default: $HOLDFAST_SERVER, "
                   "else ../src/holdfast-server or ../build/src/holdfast-server)")
    p.add_argument("--b-server", dest="holdfast", help="alias of --holdfast; a path whose "
                   "name starts with redis-server is started with redis options")
    p.add_argument("--redis", default=os.environ.get("REDIS_SERVER", "redis-server"),
                   help="reference redis-server binary (default: $REDIS_SERVER or redis-server)")
    p.add_argument("--a-port", type=int, help="use an already running reference server")
    p.add_argument("--b-port", type=int, help="use an already running server under test")
    p.add_argument("--cases", default=os.path.join(HERE, "cases"), help="case directory")
    p.add_argument("--only", action="append", help="run only this case file (repeatable)")
    p.add_argument("--skip", action="append", metavar="FILE",
                   help="do not run this case file (repeatable)")
    p.add_argument("--no-cases", action="store_true", help="skip the case files")
    p.add_argument("--random", type=int, default=0, metavar="N",
                   help="commands per random stream (default 0: no random streams)")
    p.add_argument("--seed", action="append", metavar="S",
                   help="seed of a random stream; repeatable or comma separated "
                   "(default: one random seed, printed)")
    p.add_argument("--resp3", action="store_true", help="run the --seed streams after HELLO 3")
    p.add_argument("--resp3-seed", action="append", metavar="S",
                   help="additional random streams run after HELLO 3")
    p.add_argument("--families", default=DEFAULT_FAMILIES, metavar="F,F",
                   help="command families of the --random streams: %s; groups: types "
                   "(%s), all (default: %s)" % (", ".join(FAMILIES),
                                                ",".join(FAMILY_GROUPS["types"]),
                                                DEFAULT_FAMILIES))
    p.add_argument("--per-family", action="store_true",
                   help="one stream per family for each seed instead of one mixed stream")
    p.add_argument("--stream", action="append", metavar="FAMILIES:N:SEED[:resp3]",
                   help="an additional random stream, e.g. hash,list:1500:11:resp3 "
                   "(repeatable)")
    p.add_argument("--emit-random", action="store_true",
                   help="print the random streams in case-file syntax and exit")
    p.add_argument("--timeout", type=float, default=10.0, help="reply timeout in seconds")
    p.add_argument("--max-report", type=int, default=20,
                   help="mismatches printed per test (default 20)")
    p.add_argument("--keep", action="store_true", help="keep the servers' temp dirs")
    p.add_argument("-v", "--verbose", action="store_true", help="print every command")
    opts = p.parse_args(argv)

    seeds = parse_seeds(opts.seed)
    resp3_seeds = parse_seeds(opts.resp3_seed)
    try:
        families = parse_families(opts.families)
        extra = [StreamSpec.parse(t) for t in opts.stream or []]
    except ValueError as e:
        p.error(str(e))
    if opts.random > 0 and not seeds and not resp3_seeds:
        seeds = [random.SystemRandom().randrange(1, 1 << 31)]
    groups = [[f] for f in families] if opts.per_family else [families]
    streams = []
    if opts.random > 0:
        for s, r3 in [(s, opts.resp3) for s in seeds] + [(s, True) for s in resp3_seeds]:
            streams += [StreamSpec(g, opts.random, s, r3) for g in groups]
    streams += extra
    if streams and not opts.emit_random:
        print("random streams: %d" % len(streams))
        for spec in streams:
            print("  %s" % spec.describe())

    if opts.emit_random:
        for spec in streams:
            emit_random(spec)
        return 0

    case_files = []
    if not opts.no_cases:
        if opts.only:
            for f in opts.only:
                case_files.append(f if os.path.exists(f) else os.path.join(opts.cases, f))
        else:
            case_files = sorted(os.path.join(opts.cases, f) for f in os.listdir(opts.cases)
                                if f.endswith(".txt"))
        skip = set(os.path.basename(f) for f in opts.skip or [])
        case_files = [f for f in case_files if os.path.basename(f) not in skip]

    # Servers ---------------------------------------------------------------
    if opts.a_port:
        a = Server("redis", opts.a_port)
    else:
        a = Server("redis", free_port(), redis_argv(opts.redis), keep=opts.keep)
    if opts.b_port:
        b = Server("holdfast", opts.b_port)
    else:
        hf = opts.holdfast or find_holdfast()
        if not hf:
            print("error: holdfast-server not found; use --holdfast PATH or HOLDFAST_SERVER",
                  file=sys.stderr)
            return 2
        name = "redis-b" if os.path.basename(hf).startswith("redis-server") else "holdfast"
        b = Server(name, free_port(), holdfast_argv(hf), keep=opts.keep)
        while b.port == a.port:
            b.port = free_port()

    def cleanup():
        for s in (a, b):
            s.stop()
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        for s in (a, b):
            s.start()
        print("%s on port %d, %s on port %d" % (a.name, a.port, b.name, b.port))
        runner = Runner(a, b, opts)
        runner.record_config()
        for f in case_files:
            runner.run_case_file(f)
        for spec in streams:
            runner.run_random(spec)
    except RuntimeError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    finally:
        cleanup()

    print("%d commands compared" % runner.commands)
    print("%d passed, %d failed" % (runner.passed, runner.failed))
    return 0 if runner.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
