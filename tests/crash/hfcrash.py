"""Helpers for holdfast's crash tests: start/kill a server on a data dir, a
minimal RESP client over a unix socket (python3 stdlib only), and the WAL
segment layout (see the comment at the top of src/wal.c)."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def find_server():
    b = os.environ.get("abs_top_builddir")
    if b and os.path.exists(os.path.join(b, "src/holdfast-server")):
        return os.path.join(b, "src/holdfast-server")
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "../../src/holdfast-server"),
                 os.path.join(os.getcwd(), "src/holdfast-server")):
        if os.path.exists(cand):
            return os.path.abspath(cand)
    return None


def find_admin(server):
    p = os.path.join(os.path.dirname(server), "holdfast-admin")
    return p if os.access(p, os.X_OK) else None


class ReplyError(Exception):
    pass


class Client:
    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def close(self):
        self.s.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise ConnectionError("connection closed by the server")
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return ReplyError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._read() for _ in range(n)]
        raise ConnectionError("bad reply type %r" % line)

    def pipeline(self, cmds):
        self.s.sendall(b"".join(self.encode(c) for c in cmds))
        return [self._read() for _ in cmds]

    def cmd(self, *args):
        r = self.pipeline([args])[0]
        if isinstance(r, ReplyError):
            raise r
        return r


class Server:
    """One holdfast-server process on datadir, listening on a unix socket only."""

    def __init__(self, binary, datadir, workdir, extra=(), env=None, name="server"):
        self.binary = binary
        self.datadir = datadir
        self.sock = os.path.join(workdir, name + ".sock")
        self.logpath = os.path.join(workdir, name + ".log")
        self.extra = list(extra)
        self.env = env
        self.proc = None
        self.log_offset = 0

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.log_offset = os.path.getsize(self.logpath) if os.path.exists(self.logpath) else 0
        args = [self.binary, "--port", "0", "--unixsocket", self.sock, "--dir", self.datadir,
                "--io-threads", "2"] + self.extra
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if self.env:
            env.update(self.env)
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        log.close()
        return self

    def log(self):
        """The log written since the last start()."""
        try:
            with open(self.logpath, "rb") as f:
                f.seek(self.log_offset)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_ready(self, timeout=60):
        """Waits for PONG; returns a Client, or None if the process exited."""
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return None
            try:
                c = Client(self.sock, timeout=10)
            except OSError:
                time.sleep(0.005)
                continue
            try:
                while time.time() < end:
                    r = c.pipeline([["PING"]])[0]
                    if r == "PONG":
                        return c
                    if isinstance(r, ReplyError) and str(r).startswith("LOADING"):
                        time.sleep(0.005)
                        continue
                    raise RuntimeError("PING answered %r" % (r,))
            except (OSError, ConnectionError):
                c.close()
                time.sleep(0.005)
        raise RuntimeError("server not ready within %d s" % timeout)

    def wait_exit(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(timeout) is None:
                self.kill9()
                return None
        return self.proc.returncode if self.proc else 0


# ---- WAL layout ------------------------------------------------------------------
# Format versions 2 and 3: after the 32-byte header, frames back to back: records
# (u32 payload length | u32 crc | u64 lsn | payload) and 24-byte batch marks
# (u32 0xffffffff | u32 crc | u64 durable lsn | u64 next lsn), one at the
# start of every batch's write, after a new segment's header and at a clean
# shutdown.  Version 1 segments have records only.

SEG_HEADER = 32
REC_HEADER = 16
MARK_LEN = 24
MARK_TAG = 0xFFFFFFFF


def wal_segments(datadir):
    d = os.path.join(datadir, "wal")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log") and len(f) == 24)


def wal_frames(path, data=None):
    """[(kind, offset, end, lsn)] of the frames of one segment, kind "rec" or
    "mark" (for a mark, lsn is its durable LSN); stops at the first frame
    that does not parse (no CRC is checked).  data: the segment's bytes
    (or a prefix of them), if already read."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    out = []
    off = SEG_HEADER
    while off + 4 <= len(data):
        (plen,) = struct.unpack_from("<I", data, off)
        if plen == MARK_TAG:
            if off + MARK_LEN > len(data):
                break
            _, _, durable, _ = struct.unpack_from("<IIQQ", data, off)
            out.append(("mark", off, off + MARK_LEN, durable))
            off += MARK_LEN
            continue
        if off + REC_HEADER > len(data):
            break
        plen, crc, lsn = struct.unpack_from("<IIQ", data, off)
        end = off + REC_HEADER + plen
        if plen < 28 or end > len(data):
            break
        out.append(("rec", off, end, lsn))
        off = end
    return out


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), as crc32c() in src/crc32c.c."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC_TABLE = _crc_table()


def seg_header(first, version=3):
    """A segment's 32-byte header."""
    h = b"HOLDFWAL" + struct.pack("<IIQ", version, 0, first)
    return h + struct.pack("<II", crc32c(h), 0)


def mark(durable, nxt):
    """A 24-byte batch mark."""
    body = struct.pack("<QQ", durable, nxt)
    return struct.pack("<II", MARK_TAG, crc32c(body)) + body


def wal_records(path):
    """[(offset, end, lsn)] of the records of one segment, batch marks left
    out (stops at the first frame that does not parse)."""
    return [(o, e, lsn) for (kind, o, e, lsn) in wal_frames(path) if kind == "rec"]


class Reporter:
    """Prints check results; remembers whether any failed."""

    def __init__(self, name):
        self.name = name
        self.failed = 0
        self.checks = 0

    def ok(self, cond, what):
        self.checks += 1
        if not cond:
            self.failed += 1
            print("FAIL: %s" % what, flush=True)
        return cond

    def note(self, msg):
        print(msg, flush=True)


def tempdir(prefix):
    base = os.environ.get("TMPDIR", "/tmp")
    if len(base) > 60:
        base = "/tmp"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def cleanup(path, keep):
    if keep:
        print("kept %s" % path)
    else:
        shutil.rmtree(path, ignore_errors=True)


def require_server():
    s = find_server()
    if not s:
        print("no holdfast-server binary found (set abs_top_builddir)", file=sys.stderr)
        sys.exit(2)
    return s
