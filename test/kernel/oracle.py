#!/usr/bin/env python3
"""The kernel's side of test/kernel/differential.test.ts: the same operation sequences, run with Linux's own
mmap, mprotect, msync, munmap and fork(), answered as JSON lines.

Protocol (stdin / stdout, one JSON object a line, one answer per request, in order):
  {"cmd": "begin", "dir": ..., "base": ..., "pages": ..., "files": {"f0": "<base64>", ...}}
      -> {"ok": true, "pageSize": ...}      writes the files, forks the root address space (space 0)
  {"cmd": "op", "op": {...}}               one operation (see run_op); answered by the space that runs it
  {"cmd": "end"}                           every space exits (exit unmaps everything); answers the files
      -> {"ok": true, "files": {"f0": "<base64>", ...}}
  {"cmd": "quit"}

Every address space is a process. Space 0 is forked from this controller at "begin"; a fork operation makes
the space that runs it call os.fork(), and the new process is the child space. Requests reach a space
through its ancestors (each relays to the child whose subtree holds the target), so only the controller
talks to node.

Memory is touched only by the kernel itself: a read is write(2) from the mapped range into a pipe, a write
is read(2) from a pipe into the mapped range. A range the process cannot access makes those calls fail
with EFAULT instead of raising SIGSEGV or SIGBUS, so no signal is ever taken. Each space keeps its own
page-by-page map of what it mapped (prot, shared or private, file and file page) and the files' sizes, and
from it predicts the fault of an access (SEGV: no mapping or wrong rights; BUS: the file page lies past
the end of the file); the kernel then confirms it (an access predicted to succeed must succeed, a read
predicted to fault must fail), so the prediction is never just the model's word.
"""

import base64
import ctypes
import errno
import json
import os
import sys

PS = os.sysconf('SC_PAGE_SIZE')

PROT_NONE, PROT_READ, PROT_WRITE = 0, 1, 2
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.restype = ctypes.c_int
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.mprotect.restype = ctypes.c_int
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.msync.restype = ctypes.c_int
libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.write.restype = ctypes.c_ssize_t
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
libc.read.restype = ctypes.c_ssize_t
libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


class OracleError(Exception):
    """The kernel did not do what the model predicted: a bug in this oracle, never spinvm's."""


def errname():
    e = ctypes.get_errno()
    return errno.errorcode.get(e, str(e))


def prot_mask(names):
    m = 0
    for n in names:
        m |= {'read': PROT_READ, 'write': PROT_WRITE}[n]
    return m


def b64(data):
    return base64.b64encode(data).decode('ascii')


def unb64(text):
    return base64.b64decode(text.encode('ascii'))


# ---- line-framed JSON over raw file descriptors ----

class Channel:
    def __init__(self, rfd, wfd):
        self.rfd, self.wfd, self.buf = rfd, wfd, b''

    def send(self, obj):
        data = (json.dumps(obj) + '\n').encode()
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]

    def recv(self):
        while b'\n' not in self.buf:
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def close(self):
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass


# ---- one address space: one process ----

class Space:
    def __init__(self, sid, up, ctx):
        self.sid = sid
        self.up = up                  # Channel to the parent (or the controller)
        self.ctx = ctx                # {'dir', 'base', 'pages'}
        self.pages = {}               # absolute page number -> [prot, share, file or None, file page]
        self.children = []            # [(Channel, set of space ids in that subtree, pid)]
        self.alive = True
        self.probe_r, self.probe_w = os.pipe()

    def path(self, name):
        return os.path.join(self.ctx['dir'], name)

    def size(self, name):
        return os.stat(self.path(name)).st_size

    def check_range(self, addr, length):
        base, pages = self.ctx['base'], self.ctx['pages']
        if addr < base or addr + length > base + pages * PS or addr % PS:
            raise OracleError('range %#x+%#x outside the test region' % (addr, length))

    # -- fault prediction --

    def fault(self, addr, length, need):
        """The first fault of an access (None if none): ('SEGV'|'BUS', address, 'write-only' if by policy)."""
        pos, end = addr, addr + length
        while pos < end:
            p = pos // PS
            e = self.pages.get(p)
            if e is None:
                return ('SEGV', pos, None)
            if not e[0] & need:
                policy = 'write-only' if need == PROT_READ and e[0] & PROT_WRITE else None
                return ('SEGV', pos, policy)
            if e[2] is not None and e[3] * PS >= self.size(e[2]):
                return ('BUS', pos, None)
            pos = (p + 1) * PS
        return None

    def shared_tail(self, addr, length):
        """Whether a write touches a shared file page's bytes past the end of the file (see the test's POSIX choices)."""
        pos, end = addr, addr + length
        while pos < end:
            p = pos // PS
            nxt = min(end, (p + 1) * PS)
            e = self.pages.get(p)
            if e is not None and e[1] == 'shared' and e[2] is not None:
                size = self.size(e[2])
                if e[3] * PS + (nxt - p * PS) > size:
                    return True
            pos = nxt
        return False

    def aliased(self, addr, length):
        """Whether one write reaches a file page through a shared mapping and through a private one (see the test's POSIX choices)."""
        shared, private = set(), set()
        for p in range(addr // PS, (addr + length + PS - 1) // PS):
            e = self.pages.get(p)
            if e is not None and e[2] is not None:
                (shared if e[1] == 'shared' else private).add((e[2], e[3]))
        return bool(shared & private)

    def covered(self, addr, length):
        """The file pages a sync or unmap of the range must leave in the file: those shared file mappings map."""
        out = []
        for p in range(addr // PS, (addr + length + PS - 1) // PS):
            e = self.pages.get(p)
            if e is not None and e[1] == 'shared' and e[2] is not None:
                out.append((e[2], e[3]))
        return out

    def sizes(self):
        return {name: os.stat(self.path(name)).st_size for name in sorted(os.listdir(self.ctx['dir']))}

    def file_pages(self, pages):
        """[file, page, bytes of that page in the file (short at the end, empty past it)] for each covered page."""
        out = []
        for name, page in sorted(set(pages)):
            with open(self.path(name), 'rb') as f:
                f.seek(page * PS)
                out.append([name, page, b64(f.read(PS))])
        return out

    # -- the kernel's memory, through the kernel --

    def kread(self, addr, length):
        """Bytes of the range copied by write(2) into a pipe; None if the kernel answers EFAULT anywhere in it."""
        n = libc.write(self.probe_w, addr, length)
        got = b''
        if n > 0:
            while len(got) < n:
                got += os.read(self.probe_r, n - len(got))
        return got if n == length else None

    def kwrite(self, addr, data):
        os.write(self.probe_w, data)
        n = libc.read(self.probe_r, addr, len(data))
        if n != len(data):
            # drain what the kernel did not take, then complain
            left = len(data) - max(n, 0)
            while left > 0:
                left -= len(os.read(self.probe_r, left))
            raise OracleError('write of %d bytes at %#x: kernel took %d (%s)' % (len(data), addr, n, errname()))

    # -- operations --

    def run(self, op):
        kind = op['op']
        if kind == 'map':
            return self.do_map(op)
        if kind == 'read':
            return self.do_read(op)
        if kind == 'write':
            return self.do_write(op)
        if kind == 'protect':
            return self.do_protect(op)
        if kind == 'sync':
            return self.do_sync(op)
        if kind == 'unmap':
            return self.do_unmap(op)
        if kind == 'exit':
            return self.do_exit()
        raise OracleError('unknown operation %r' % kind)

    def do_map(self, op):
        addr, length = op['addr'], op['pages'] * PS
        self.check_range(addr, length)
        prot = prot_mask(op['prot'])
        flags = MAP_FIXED | (MAP_SHARED if op['share'] == 'shared' else MAP_PRIVATE)
        fd = -1
        if op['kind'] == 'anon':
            flags |= MAP_ANONYMOUS
        else:
            # A program opens the file for reading and writing whenever the file permits (every file here does).
            fd = os.open(self.path(op['file']), os.O_RDWR)
        try:
            r = libc.mmap(addr, length, prot, flags, fd, op.get('offset', 0) * PS)
            if r == MAP_FAILED:
                return {'err': errname()}
            if r != addr:
                raise OracleError('MAP_FIXED answered %#x for %#x' % (r, addr))
        finally:
            if fd >= 0:
                os.close(fd)
        for i in range(op['pages']):
            self.pages[addr // PS + i] = [prot, op['share'], None if op['kind'] == 'anon' else op['file'], op.get('offset', 0) + i]
        return {'ok': True}

    def do_read(self, op):
        addr, length = op['addr'], op['len']
        self.check_range(addr - addr % PS, length + addr % PS)
        f = self.fault(addr, length, PROT_READ)
        data = self.kread(addr, length)
        if f is not None:
            if data is not None and f[2] is None:
                raise OracleError('read at %#x+%d: predicted %s at %#x, the kernel read it' % (addr, length, f[0], f[1]))
            out = {'fault': f[0], 'at': f[1]}
            if f[2]:
                out['policy'] = f[2]
            return out
        if data is None:
            raise OracleError('read at %#x+%d: predicted no fault, the kernel answered EFAULT' % (addr, length))
        return {'data': b64(data)}

    def do_write(self, op):
        addr = op['addr']
        data = unb64(op['data'])
        self.check_range(addr - addr % PS, len(data) + addr % PS)
        f = self.fault(addr, len(data), PROT_WRITE)
        if f is not None:
            return {'fault': f[0], 'at': f[1]}
        if self.shared_tail(addr, len(data)):
            return {'skipped': 'shared-tail'}
        if self.aliased(addr, len(data)):
            return {'skipped': 'aliased'}
        self.kwrite(addr, data)
        return {'ok': True}

    def do_protect(self, op):
        addr, length = op['addr'], op['pages'] * PS
        self.check_range(addr, length)
        prot = prot_mask(op['prot'])
        if libc.mprotect(addr, length, prot) != 0:
            err = errname()
            # Linux changed the pages before the hole (or the refused mapping); spinvm changes nothing, which
            # POSIX allows too. Put the kernel back, page by page, so the sequences stay comparable.
            for p in range(addr // PS, (addr + length) // PS):
                e = self.pages.get(p)
                if e is not None and libc.mprotect(p * PS, PS, e[0]) != 0:
                    raise OracleError('could not restore page %#x after a failed mprotect (%s)' % (p * PS, errname()))
            return {'err': err}
        for p in range(addr // PS, (addr + length) // PS):
            self.pages[p][0] = prot
        return {'ok': True}

    def do_sync(self, op):
        addr, length = op['addr'], op['pages'] * PS
        self.check_range(addr, length)
        mode = op['mode']
        flags = {'sync': MS_SYNC, 'async': MS_ASYNC, 'invalidate': MS_SYNC | MS_INVALIDATE, 'invalidate-async': MS_ASYNC | MS_INVALIDATE}[mode]
        if libc.msync(addr, length, flags) != 0:
            return {'err': errname()}
        out = {'ok': True, 'sizes': self.sizes()}
        if not mode.endswith('async'):
            out['files'] = self.file_pages(self.covered(addr, length))
        return out

    def do_unmap(self, op):
        addr, length = op['addr'], op['pages'] * PS
        self.check_range(addr, length)
        covered = self.covered(addr, length)
        if libc.munmap(addr, length) != 0:
            return {'err': errname()}
        for p in range(addr // PS, (addr + length) // PS):
            self.pages.pop(p, None)
        return {'ok': True, 'files': self.file_pages(covered), 'sizes': self.sizes()}

    def do_exit(self):
        """The process exits: everything is unmapped. It stays on only to relay to its children."""
        base, pages = self.ctx['base'], self.ctx['pages']
        covered = self.covered(base, pages * PS)
        if libc.munmap(base, pages * PS) != 0:
            raise OracleError('munmap of the region: %s' % errname())
        self.pages.clear()
        self.alive = False
        return {'ok': True, 'files': self.file_pages(covered), 'sizes': self.sizes()}

    def do_fork(self, child_id):
        down_r, down_w = os.pipe()   # parent -> child
        up_r, up_w = os.pipe()       # child -> parent
        pid = os.fork()
        if pid == 0:
            # The child space: drop every channel of the parent's, keep the mappings (that is the point).
            os.close(down_w)
            os.close(up_r)
            self.up.close()
            for ch, _, _ in self.children:
                ch.close()
            os.close(self.probe_r)
            os.close(self.probe_w)
            self.probe_r, self.probe_w = os.pipe()
            self.children = []
            self.sid = child_id
            self.up = Channel(down_r, up_w)
            return None
        os.close(down_r)
        os.close(up_w)
        self.children.append((Channel(up_r, down_w), {child_id}, pid))
        return pid

    def serve(self):
        """Answers requests until told to quit; a request for another space goes down to the child holding it."""
        while True:
            try:
                req = self.up.recv()
            except EOFError:
                self.quit()
                os._exit(0)
            if req.get('cmd') == 'quit':
                self.quit()
                self.up.send({'ok': True})
                os._exit(0)
            op = req['op']
            target = op['space']
            if target != self.sid:
                for ch, ids, _ in self.children:
                    if target in ids:
                        if op['op'] == 'fork':
                            ids.add(op['child'])
                        ch.send(req)
                        self.up.send(ch.recv())
                        break
                else:
                    self.up.send({'oracle_error': 'no space %r under space %r' % (target, self.sid)})
                continue
            try:
                if op['op'] == 'fork':
                    if self.do_fork(op['child']) is None:
                        continue  # the child: serve its own requests from now on
                    reply = {'ok': True}
                elif not self.alive:
                    reply = {'oracle_error': 'space %r has exited' % self.sid}
                else:
                    reply = self.run(op)
            except OracleError as e:
                reply = {'oracle_error': str(e)}
            except Exception as e:  # noqa: BLE001 - any surprise is the oracle's, reported, never a hang
                reply = {'oracle_error': '%s: %s' % (type(e).__name__, e)}
            self.up.send(reply)

    def quit(self):
        for ch, _, pid in self.children:
            try:
                ch.send({'cmd': 'quit'})
                ch.recv()
            except (EOFError, OSError):
                pass
            ch.close()
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


# ---- the controller: talks to node ----

def region_is_free(base, pages):
    with open('/proc/self/maps') as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split('-'))
            if lo < base + pages * PS and hi > base:
                return False
    return True


def grow(ctx, op):
    """Grows the file (never shrinks it): ftruncate to the new size, then writes the new whole pages past the
    old last page (never a byte of a page that was already part of the file, so no cached page goes stale)."""
    path = os.path.join(ctx['dir'], op['file'])
    data = unb64(op['data'])
    fd = os.open(path, os.O_RDWR)
    try:
        cur = os.fstat(fd).st_size
        new = op['size']
        if new > cur:
            os.ftruncate(fd, new)
            start = -(-cur // PS) * PS
            if start < new:
                os.pwrite(fd, data[start:new], start)
        return {'ok': True, 'size': os.fstat(fd).st_size}
    finally:
        os.close(fd)


def main():
    ctl = Channel(sys.stdin.fileno(), sys.stdout.fileno())
    root = None   # (Channel, pid)
    ctx = None
    while True:
        try:
            req = ctl.recv()
        except EOFError:
            break
        cmd = req.get('cmd')
        try:
            if cmd == 'begin':
                ctx = {'dir': req['dir'], 'base': req['base'], 'pages': req['pages']}
                if not region_is_free(ctx['base'], ctx['pages']):
                    raise OracleError('the test region %#x is not free in the oracle' % ctx['base'])
                os.makedirs(ctx['dir'], exist_ok=True)
                for name, content in req['files'].items():
                    with open(os.path.join(ctx['dir'], name), 'wb') as f:
                        f.write(unb64(content))
                down_r, down_w = os.pipe()
                up_r, up_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(down_w)
                    os.close(up_r)
                    ctl.close()
                    Space(0, Channel(down_r, up_w), ctx).serve()
                    os._exit(0)
                os.close(down_r)
                os.close(up_w)
                root = (Channel(up_r, down_w), pid)
                ctl.send({'ok': True, 'pageSize': PS})
            elif cmd == 'op':
                if req['op']['op'] == 'grow':
                    ctl.send(grow(ctx, req['op']))
                else:
                    root[0].send(req)
                    ctl.send(root[0].recv())
            elif cmd == 'end':
                if root is not None:
                    root[0].send({'cmd': 'quit'})
                    root[0].recv()
                    root[0].close()
                    os.waitpid(root[1], 0)
                    root = None
                files = {}
                for name in sorted(os.listdir(ctx['dir'])):
                    with open(os.path.join(ctx['dir'], name), 'rb') as f:
                        files[name] = b64(f.read())
                    os.unlink(os.path.join(ctx['dir'], name))
                ctl.send({'ok': True, 'files': files})
            elif cmd == 'quit':
                ctl.send({'ok': True})
                break
            else:
                ctl.send({'oracle_error': 'unknown command %r' % cmd})
        except (OracleError, OSError, KeyError, TypeError) as e:
            ctl.send({'oracle_error': '%s: %s' % (type(e).__name__, e)})


if __name__ == '__main__':
    main()
