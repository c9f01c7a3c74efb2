#!/usr/bin/python3
"""Generate src/cmdmeta.c: the interface facts (arity, flags, key positions,
key specs, ACL categories, group, since, summary, complexity) of the Redis
commands holdfast implements, read from a real redis-server's COMMAND INFO and
COMMAND DOCS so that holdfast's COMMAND replies describe the same interface.

Usage: tools/gen-cmdmeta.py [port] > src/cmdmeta.c   (a redis-server must listen)
The list of commands is read from src/cmdlist.txt (one name per line; a
container's subcommands as "client|id").  Re-run after adding a command."""
import os, sys
import socket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp2 import Conn  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
port = int(sys.argv[1]) if len(sys.argv) > 1 else 6379

r = Conn(port)


class RawConn:
    """Reads replies keeping each element's exact bytes: (value, raw)."""
    def __init__(self, port, proto):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.f = self.s.makefile('rb')
        if proto == 3:
            self.send('HELLO', '3')
            self.read()

    def send(self, *args):
        out = b'*%d\r\n' % len(args)
        for a in args:
            a = str(a).encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        self.s.sendall(out)

    def read(self):
        line = self.f.readline()
        raw = line
        t, rest = line[:1], line[1:-2]
        if t in (b'+', b'-', b':', b',', b'#', b'_', b'('):
            return rest.decode(), raw
        if t in (b'$', b'=', b'!'):
            n = int(rest)
            if n < 0:
                return None, raw
            data = self.f.read(n + 2)
            return data[:-2].decode(), raw + data
        if t in (b'*', b'~', b'>', b'%'):
            n = int(rest)
            if n < 0:
                return None, raw
            if t == b'%':
                n *= 2
            items = []
            for _ in range(n):
                v, r2 = self.read()
                items.append((v, r2))
                raw += r2
            return items, raw
        raise SystemExit('bad reply %r' % line)

raw2, raw3 = RawConn(port, 2), RawConn(port, 3)
CORE_DOC_FIELDS = {'summary', 'since', 'group', 'complexity', 'doc_flags', 'subcommands'}


def extra_docs(conn, name):
    """The raw bytes of the docs fields holdfast does not model (history,
    arguments, deprecated_since, replaced_by...), and how many there are."""
    parent = name.split('|')[0]
    conn.send('COMMAND', 'DOCS', parent)
    top, _ = conn.read()
    if not top:
        return 0, b''
    docs = top[1][0]
    if '|' in name:
        subs = dict((docs[i][0], docs[i + 1][0]) for i in range(0, len(docs), 2)).get('subcommands', [])
        docs = [x for i in range(0, len(subs), 2) if subs[i][0] == name for x in [subs[i + 1]]][0][0]
    n, out = 0, b''
    for i in range(0, len(docs), 2):
        if docs[i][0] in CORE_DOC_FIELDS:
            continue
        n += 1
        out += docs[i][1] + docs[i + 1][1]
    return n, out


def cbytes(b):
    out = '"'
    for ch in b:
        c_ = chr(ch)
        if c_ == '"' or c_ == '\\':
            out += '\\' + c_
        elif 32 <= ch < 127:
            out += c_
        else:
            out += '\\%03o' % ch
    return out + '"'
names = [l.strip() for l in open(os.path.join(here, '..', 'src', 'cmdlist.txt'))
         if l.strip() and not l.startswith('#')]

def kv(lst):
    return {lst[i]: lst[i + 1] for i in range(0, len(lst), 2)}

def c(s):
    return '"' + str(s).replace('\\', '\\\\').replace('"', '\\"') + '"'

def keyspec_str(spec):
    d = kv(spec)
    flags = ','.join(d.get('flags', []))
    bs = kv(d['begin_search']); bss = kv(bs['spec'])
    if bs['type'] == 'index':
        b = 'index:%d' % bss['index']
    elif bs['type'] == 'keyword':
        b = 'keyword:%s:%d' % (bss['keyword'], bss['startfrom'])
    else:
        b = 'unknown'
    fk = kv(d['find_keys']); fks = kv(fk['spec']) if fk['spec'] else {}
    if fk['type'] == 'range':
        f = 'range:%d:%d:%d' % (fks['lastkey'], fks['keystep'], fks['limit'])
    elif fk['type'] == 'keynum':
        f = 'keynum:%d:%d:%d' % (fks['keynumidx'], fks['firstkey'], fks['keystep'])
    else:
        f = 'unknown'
    extra = ''
    if 'notes' in d:
        extra = '|notes:' + d['notes']
    return '%s|%s|%s%s' % (flags, b, f, extra)

# Commands newer than the reference redis-server (7.0): facts written here by
# hand from the Redis 7.2 documentation.
MANUAL = {
    'client|setinfo': (['client|setinfo', 4, ['noscript', 'loading', 'stale'], 0, 0, 0,
                        ['@slow', '@connection'], [], []],
                       {'group': 'connection', 'since': '7.2.0',
                        'summary': 'Sets information specific to the client or connection.',
                        'complexity': 'O(1)'}),
    'waitaof': (['waitaof', 4, ['noscript'], 0, 0, 0, ['@slow', '@connection'], [], []],
                {'group': 'generic', 'since': '7.2.0',
                 'summary': 'Blocks until all of the preceding write commands sent by the connection are written '
                            'to the append-only file of the master and/or replicas.',
                 'complexity': 'O(1)'}),
}

def info_of(name):
    if name in MANUAL:
        return MANUAL[name][0]
    if '|' in name:
        parent, sub = name.split('|')
        for e in r.execute_command('COMMAND', 'INFO', parent)[0][9]:
            if e[0] == name:
                return e
        raise SystemExit('no such subcommand ' + name)
    e = r.execute_command('COMMAND', 'INFO', name)[0]
    if e is None:
        raise SystemExit('no such command ' + name)
    return e

def docs_of(name):
    if name in MANUAL:
        return MANUAL[name][1]
    if '|' in name:
        parent, sub = name.split('|')
        d = r.execute_command('COMMAND', 'DOCS', parent)
        d = kv(kv(d)[parent])
        return kv(kv(d.get('subcommands', []))[name])
    d = r.execute_command('COMMAND', 'DOCS', name)
    return kv(kv(d)[name])

print('/* cmdmeta.c — GENERATED by tools/gen-cmdmeta.py from a real redis-server\'s')
print(' * COMMAND INFO/DOCS, so that COMMAND describes the same interface.  Do not edit. */')
print('#include "config.h"\n#include "cmdmeta.h"\n#include <stddef.h>\n')
print('const struct cmdmeta cmdmeta_table[] = {')
for n in names:
    e = info_of(n)
    d = docs_of(n)
    name, arity, flags, first, last, step, acl, tips, specs = e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8]
    specs_s = ';'.join(keyspec_str(s) for s in specs)
    if n in MANUAL:
        nx2, x2, nx3, x3 = 0, b'', 0, b''
    else:
        nx2, x2 = extra_docs(raw2, n)
        nx3, x3 = extra_docs(raw3, n)
    print('    {%s, %d, %s, %d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %d, %s, %s},' % (
        c(name), arity, c(' '.join(flags)), first, last, step, c(' '.join(acl)),
        c(' '.join(tips)), c(specs_s), c(d.get('group', '')), c(d.get('since', '')),
        c(d.get('summary', '')), c(d.get('complexity', '')), c(d.get('doc_flags', '') and ' '.join(d['doc_flags'])),
        nx2, cbytes(x2), cbytes(x3)))
print('    {NULL, 0, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL},')
print('};')
