"""Minimal RESP2 client shared by the generators in tools/ (raw, so nothing
reshapes the replies the way client libraries do)."""
import socket


class Conn:
    def __init__(self, port, host='127.0.0.1'):
        self.s = socket.create_connection((host, port))
        self.f = self.s.makefile('rb')

    def cmd(self, *args):
        """Sends one command; returns the reply (errors raise RuntimeError)."""
        out = b'*%d\r\n' % len(args)
        for a in args:
            a = str(a).encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        self.s.sendall(out)
        return self.read()

    execute_command = cmd

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b'+':
            return rest.decode()
        if t == b'-':
            raise RuntimeError(rest.decode())
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if t == b'*':
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError('unexpected reply %r' % line)
