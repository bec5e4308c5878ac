"""Minimal host side of the rig protocol (firmware/PROTOCOL.md) for the simulator smoke test: frames,
a resynchronising parser, a pty client that acknowledges events, and a simrig process wrapper.
Standard library only (runs on /usr/bin/python3)."""
import os
import queue
import select
import struct
import subprocess
import termios
import threading
import time
import tty

SYNC = 0xA5


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def frame(seq: int, typ: int, payload: bytes = b'') -> bytes:
    body = bytes([len(payload), seq & 0xFF, typ]) + payload
    return bytes([SYNC]) + body + struct.pack('>H', crc16(body))


class Parser:
    def __init__(self):
        self.buf = bytearray()
        self.crc_errors = 0

    def feed(self, data: bytes):
        out = []
        self.buf += data
        while True:
            while self.buf and self.buf[0] != SYNC:
                del self.buf[0]
            if len(self.buf) < 2:
                return out
            n = self.buf[1]
            if n > 64:
                del self.buf[0]
                continue
            if len(self.buf) < n + 6:
                return out
            if crc16(bytes(self.buf[1:4 + n])) != struct.unpack('>H', bytes(self.buf[4 + n:6 + n]))[0]:
                self.crc_errors += 1
                del self.buf[0]
                continue
            out.append((self.buf[2], self.buf[3], bytes(self.buf[4:4 + n])))
            del self.buf[:n + 6]


def pack_levels(levels):
    out = bytearray()
    for i in range(0, 24, 2):
        a, b = levels[i], levels[i + 1]
        out += bytes([a & 0xFF, (a >> 8) | ((b & 0x0F) << 4), b >> 4])
    return bytes(out)


def step(mask, level, settle_us, trigger_us, exposure_us):
    return struct.pack('<I', mask)[:3] + struct.pack('<HIHI', level, settle_us, trigger_us, exposure_us)


class SimRig:
    """Runs native/simrig/build/simrig and collects its event lines (with arrival order)."""

    def __init__(self, simrig, elf, pty_path):
        self.proc = subprocess.Popen([simrig, '--elf', elf, '--pty', pty_path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=(None if os.environ.get("SIMRIG_DEBUG") else subprocess.DEVNULL), text=True, bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip('\n'))
                self.cond.notify_all()

    def send(self, cmd):
        self.proc.stdin.write(cmd + '\n')
        self.proc.stdin.flush()

    def wait_line(self, pred, start=0, timeout=5.0):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if pred(self.lines[i]):
                        return i, self.lines[i]
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError('no matching harness line; last: %r' % self.lines[-5:])
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.lines)

    def close(self):
        try:
            self.send('quit')
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
        return self.proc.returncode


class Client:
    """One command in flight; events are acknowledged (unless ack_events is False) and queued."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self.parser = Parser()
        self.seq = 0
        self.events = queue.Queue()
        self.ack_events = True
        self.naks = []

    def close(self):
        os.close(self.fd)

    def write(self, data: bytes):
        os.write(self.fd, data)

    def _pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return []
        frames = self.parser.feed(os.read(self.fd, 4096))
        out = []
        for f in frames:
            if 0xC0 <= f[1] <= 0xCF:
                if self.ack_events:
                    self.write(frame(0, 0x40, bytes([f[0]])))
                self.events.put(f)
            else:
                out.append(f)
        return out

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._pump(max(0.0, end - time.monotonic()))

    def request(self, typ, payload=b'', timeout=1.0, seq=None, raw=None):
        """Sends a command and returns (type, payload) of its response (a NAK is returned, not raised)."""
        if seq is None:
            seq = self.seq
            self.seq = (self.seq + 1) & 0xFF
        self.write(raw if raw is not None else frame(seq, typ, payload))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for s, t, p in self._pump(end - time.monotonic()):
                if s == seq and (t == (typ | 0x80) or t == 0xFF):
                    return t, p
        raise TimeoutError('no response to type 0x%02x seq %d' % (typ, seq))

    def wait_event(self, typ, timeout=3.0):
        """Waits for an event of this type; events of other types stay queued, in order."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            kept = []
            found = None
            try:
                while True:
                    f = self.events.get_nowait()
                    if found is None and f[1] == typ:
                        found = f
                    else:
                        kept.append(f)
            except queue.Empty:
                pass
            for f in kept:
                self.events.put(f)
            if found:
                return found
            self._pump(0.02)
        raise TimeoutError('no event 0x%02x' % typ)

    def drain_events(self):
        out = []
        try:
            while True:
                out.append(self.events.get_nowait())
        except queue.Empty:
            return out
