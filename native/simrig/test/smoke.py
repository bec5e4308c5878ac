#!/usr/bin/env python3
"""Smoke test of the simulated rig: the real firmware ELF in simavr behind a pty.
Run from the repository root after `make -C firmware && make -C native/simrig`:
    python3 native/simrig/test/smoke.py
Checks IDENTIFY, sequence timing (±20 µs on the simulated pins), host-silence all-off, on-time limit,
over-temperature, resynchronisation/NAK/duplicates, unplug/replug and reset. Exits non-zero on failure."""
import os
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rigproto import Client, SimRig, frame, pack_levels, step  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SIMRIG = os.path.join(ROOT, 'native/simrig/build/simrig')
ELF = os.path.join(ROOT, 'firmware/build/gradebooth-rig.elf')
TOL_US = 20.0
failures = []


def check(cond, msg):
    print(('ok     ' if cond else 'NOT OK ') + msg, flush=True)
    if not cond:
        failures.append(msg)


def sim_time(line):
    return float(line.split()[1])


def levels_of(line):
    return [int(v) for v in line.split()[2:]]


def identify(c):
    t, p = c.request(0x01)
    assert t == 0x81, 'IDENTIFY answered 0x%02x %s' % (t, p.hex())
    f = struct.unpack('<BBBBBBBBHIHB16sH', p)
    return {'protocolVersion': f[1], 'firmware': '%d.%d.%d' % f[2:5], 'channels': f[5], 'maxSteps': f[6],
            'maxPayload': f[7], 'capabilities': f[8], 'clockHz': f[9], 'bootId': f[10], 'resetCause': f[11],
            'serial': f[12].rstrip(b'\0').decode(), 'geometryBytes': f[13]}


def status(c):
    t, p = c.request(0x05)
    assert t == 0x85
    f = struct.unpack('<BBHBhHBBIHHh', p[:21])
    return {'state': f[1], 'faults': f[2], 'flags': f[3], 'tempCx100': f[4], 'adcRaw': f[5], 'steps': f[6],
            'currentStep': f[7], 'nowUs': f[8], 'hostTimeoutMs': f[9], 'maxOnMs': f[10], 'tempLimit': f[11]}


def test_sequence(rig, c, steps):
    n = len(steps)
    assert c.request(0x06)[0] == 0x86
    for i in range(0, n, 4):
        t, p = c.request(0x07, bytes([i]) + b''.join(step(*s) for s in steps[i:i + 4]))
    check(t == 0x87 and p[1] == n, 'SEQ_LOAD of %d steps -> count %d' % (n, p[1]))
    mark = rig.mark()
    t, p = c.request(0x08)
    check(t == 0x88 and p[1] == n, 'SEQ_RUN accepted')
    start_us = struct.unpack('<I', p[2:6])[0]
    done = c.wait_event(0xC2, timeout=3)
    check(done[2][0] == n and done[2][1] == 0, 'SEQ_DONE: %d steps, not aborted' % n)
    step_events = [e for e in c.drain_events() if e[1] == 0xC1]
    # Pins: the latch lines and trigger edges after SEQ_RUN, in simulated time.
    rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark)
    lines = rig.lines[mark:]
    latches = [l for l in lines if l.startswith('L ')]
    rises = [sim_time(l) for l in lines if l.startswith('T ') and l.endswith(' 1')]
    falls = [sim_time(l) for l in lines if l.startswith('T ') and l.endswith(' 0')]
    check(len(latches) == n + 1 and len(rises) == n and len(falls) == n, '%d latches, %d trigger pulses' % (n + 1, n))
    exp_levels = [[(s[1] if (s[0] >> ch) & 1 else 0) for ch in range(24)] for s in steps] + [[0] * 24]
    check([levels_of(l) for l in latches] == exp_levels, 'latched levels follow the steps, then all zero')
    # Schedule from the first latch (harness time) and from startUs (firmware clock).
    t0 = sim_time(latches[0])
    worst = 0.0
    for k, s in enumerate(steps):
        settle, trig, expo = s[2], s[3], s[4]
        errs = [rises[k] - (t0 + settle), falls[k] - (t0 + settle + trig), sim_time(latches[k + 1]) - (t0 + settle + expo)]
        worst = max(worst, max(abs(e) for e in errs))
        if n <= 4 or max(abs(e) for e in errs) > 2:
            print('       step %d: rise %+.3f us, fall %+.3f us, off %+.3f us vs schedule' % (k, *errs))
        t0 += settle + expo
    check(worst <= TOL_US, 'every edge within ±%d us of schedule (worst %.3f us)' % (TOL_US, worst))
    # STEP_DONE reports: firmware trigger times against startUs + schedule; lateness; on-time.
    check(len(step_events) == n, '%d STEP_DONE events' % n)
    fw_t0 = start_us
    for k, (seq, typ, p) in enumerate(step_events):
        idx, trig_us, late, on_us = struct.unpack('<BIhI', p)
        s = steps[k]
        ok = (idx == k and abs(trig_us - (fw_t0 + s[2])) <= TOL_US and abs(late) <= TOL_US and
              abs((trig_us - start_us) - (rises[k] - sim_time(latches[0]))) <= 2.5 and
              (abs(on_us - (s[2] + s[4])) <= TOL_US if s[0] else on_us == 0))
        if not ok or n <= 4:
            check(ok, 'STEP_DONE %d: triggerUs %d (schedule %d), lateness %d us, onUs %d' % (idx, trig_us, fw_t0 + s[2], late, on_us))
        fw_t0 += s[2] + s[4]
    return worst


def wait_fault(c, bit, timeout=3.0):
    """Waits for a FAULT event that newly raises `bit`; returns (new, latched, tempCx100)."""
    end = time.monotonic() + timeout
    while True:
        f = c.wait_event(0xC3, timeout=max(0.01, end - time.monotonic()))
        v = struct.unpack('<HHh', f[2])
        if v[0] & bit:
            return v


def test_abort(rig, c):
    """A running sequence: SEQ_ABORT stops it, LEDs off, SEQ_DONE aborted; then host silence aborts one."""
    assert c.request(0x06)[0] == 0x86
    c.request(0x07, bytes([0]) + step(0x3, 1000, 1000, 100, 400000) + step(0x4, 1000, 1000, 100, 400000))
    mark = rig.mark()
    t, p = c.request(0x08)
    check(t == 0x88, 'SEQ_RUN of two 0.4 s steps')
    c.pump(0.1)
    t, p = c.request(0x03, pack_levels([0] * 24))
    check(t == 0xFF and p[0] == 4, 'SET_LEVELS refused with NAK BUSY while running')
    st = status(c)
    check(st['state'] == 1 and st['currentStep'] == 0, 'STATUS: RUNNING, step 0 (%s)' % st)
    t, p = c.request(0x09)
    done = c.wait_event(0xC2)
    check(t == 0x89 and done[2][1] == 1, 'SEQ_ABORT -> SEQ_DONE aborted')
    _, off = rig.wait_line(lambda l: l.startswith('L ') and levels_of(l) == [0] * 24, mark)
    rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark)
    check(True, 'LEDs latched off and blanked after SEQ_ABORT')
    # Host silence during a sequence.
    assert c.request(0x0B, struct.pack('<HHh', 200, 5000, 7000))[0] == 0x8B
    mark = rig.mark()
    c.request(0x08)
    c.ack_events = False
    _, first = rig.wait_line(lambda l: l.startswith('L '), mark)
    _, off = rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark, timeout=2)
    dt_ms = (sim_time(off) - sim_time(first)) / 1000
    check(200 <= dt_ms <= 212, 'host silent during a sequence: aborted and blanked after %.1f ms (timeout 200)' % dt_ms)
    c.ack_events = True
    done = c.wait_event(0xC2)
    check(done[2][1] == 1 and struct.unpack('<H', done[2][2:4])[0] & 1, 'SEQ_DONE aborted with HOST_TIMEOUT')
    c.request(0x0A)
    assert c.request(0x0B, struct.pack('<HHh', 1500, 5000, 7000))[0] == 0x8B
    return 0.0


def test_host_timeout(rig, c):
    assert c.request(0x0B, struct.pack('<HHh', 300, 5000, 7000))[0] == 0x8B
    c.ack_events = False
    mark = rig.mark()
    levels = [0] * 24
    levels[3] = 1000
    t, _ = c.request(0x03, pack_levels(levels))
    check(t == 0x83, 'SET_LEVELS accepted')
    _, lat = rig.wait_line(lambda l: l.startswith('L '), mark)
    check(levels_of(lat)[3] == 1000, 'channel 3 latched at 1000')
    # Silence: no frame at all (events are not acknowledged either).
    i, off = rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark, timeout=2)
    dt_ms = (sim_time(off) - sim_time(lat)) / 1000
    check(300 <= dt_ms <= 310, 'host silent: BLANK high %.1f ms after the last command (timeout 300 ms)' % dt_ms)
    _, zero = rig.wait_line(lambda l: l.startswith('L '), i)
    check(levels_of(zero) == [0] * 24, 'levels cleared to zero after the timeout')
    c.ack_events = True
    check(wait_fault(c, 1)[0] & 1, 'FAULT event reports HOST_TIMEOUT')
    t, p = c.request(0x03, pack_levels(levels))
    check(t == 0xFF and p[0] == 6, 'SET_LEVELS refused with NAK FAULT_ACTIVE while latched')
    t, p = c.request(0x0A)
    check(t == 0x8A, 'CLEAR_FAULTS answered (latch now 0x%04x)' % struct.unpack('<H', p[1:3])[0])
    assert c.request(0x0B, struct.pack('<HHh', 1500, 5000, 7000))[0] == 0x8B


def test_on_time(rig, c):
    assert c.request(0x0B, struct.pack('<HHh', 1500, 200, 7000))[0] == 0x8B
    c.request(0x0A)
    mark = rig.mark()
    levels = [0] * 24
    levels[7] = 4095
    check(c.request(0x03, pack_levels(levels))[0] == 0x83, 'SET_LEVELS channel 7 (maxOnMs 200)')
    _, lat = rig.wait_line(lambda l: l.startswith('L '), mark)
    c.pump(0.05)
    for _ in range(8):
        c.request(0x02)  # keep the host timer alive
        c.pump(0.05)
    _, off = rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark, timeout=2)
    dt_ms = (sim_time(off) - sim_time(lat)) / 1000
    check(200 <= dt_ms <= 210, 'on-time limit: off %.1f ms after the latch (maxOnMs 200)' % dt_ms)
    check(wait_fault(c, 2)[0] & 2, 'FAULT event reports ON_TIME')
    c.request(0x0A)
    assert c.request(0x0B, struct.pack('<HHh', 1500, 5000, 7000))[0] == 0x8B


def test_over_temp(rig, c):
    c.request(0x0A)
    levels = [0] * 24
    levels[0] = 500
    check(c.request(0x03, pack_levels(levels))[0] == 0x83, 'SET_LEVELS before over-temperature')
    mark = rig.mark()
    rig.send('temp 90')
    new, latched, temp = wait_fault(c, 4)
    check(new & 4 and 8500 <= temp <= 9500, 'FAULT OVER_TEMP at %.2f C' % (temp / 100))
    rig.wait_line(lambda l: l.startswith('B ') and l.endswith(' 1'), mark)
    st = status(c)
    check(st['state'] == 2 and st['flags'] & 1 and st['faults'] & 4, 'STATUS: FAULT, blanked, OVER_TEMP latched')
    rig.send('temp 67')
    c.pump(0.3)
    t, p = c.request(0x0A)
    check(struct.unpack('<H', p[1:3])[0] & 4, 'OVER_TEMP stays latched at 67 C (hysteresis: limit - 5 C)')
    rig.send('temp 25')
    c.pump(0.3)
    t, p = c.request(0x0A)
    check(struct.unpack('<H', p[1:3])[0] & 4 == 0, 'OVER_TEMP clears at 25 C')
    st = status(c)
    check(2400 <= st['tempCx100'] <= 2600, 'temperature reads %.2f C at 25 C' % (st['tempCx100'] / 100))
    rig.send('adc 1020')
    check(wait_fault(c, 8)[0] & 8, 'open thermistor (adc 1020) raises THERMISTOR')
    rig.send('temp 25')
    c.pump(0.3)
    c.request(0x0A)


def test_link(rig, c):
    t, p = c.request(0x02, raw=b'\x00\x13\xa5\x03\x37' + frame(c.seq, 0x02))
    c.seq += 1
    check(t == 0x82, 'PING found after garbage with a false SYNC')
    bad = bytearray(frame(c.seq, 0x02))
    bad[-1] ^= 0xFF
    t, p = c.request(0x02, raw=bytes(bad), seq=c.seq)
    check(t == 0xFF and p[0] == 1 and p[1] == c.seq, 'bad CRC answered with NAK BAD_CRC for the right SEQ')
    seq = c.seq
    t1, p1 = c.request(0x02, seq=seq)
    time.sleep(0.01)
    t2, p2 = c.request(0x02, seq=seq)
    check(t1 == t2 == 0x82 and p1 == p2, 'duplicate SEQ re-sends the remembered response (same nowUs)')
    c.seq = seq + 1
    t, p = c.request(0x03, b'\x00' * 5)
    check(t == 0xFF and p[0] == 3, 'wrong payload length -> NAK BAD_LENGTH')
    t, p = c.request(0x3E)
    check(t == 0xFF and p[0] == 2, 'unknown type -> NAK UNKNOWN_TYPE')
    t, p = c.request(0x0C, b'RIG-SMOKE'.ljust(16, b'\0'))
    check(t == 0x8C and identify(c)['serial'] == 'RIG-SMOKE', 'SET_SERIAL stored in EEPROM')
    c.request(0x0D, struct.pack('<H', 700) + b'geometry!')
    t, p = c.request(0x0E, struct.pack('<HB', 700, 9))
    check(t == 0x8E and p[1:] == b'geometry!', 'GEOMETRY_WRITE/READ round trip')


def main():
    tmp = tempfile.mkdtemp(prefix='simrig-smoke-')
    pty_path = os.path.join(tmp, 'rig.pty')
    rig = SimRig(SIMRIG, ELF, pty_path)
    worst = float('nan')
    try:
        rig.wait_line(lambda l: l.startswith('READY'))
        c = Client(pty_path)
        info = identify(c)
        print('       IDENTIFY:', info)
        check(info['channels'] == 24 and info['protocolVersion'] == 1 and info['clockHz'] == 16000000,
              'IDENTIFY over the pty: 24 channels, protocol 1, 16 MHz')
        c.request(0x0A)
        worst = test_sequence(rig, c, [(0x000001, 4095, 2000, 100, 5000), (0x000020, 2048, 500, 50, 3000),
                                       (0x000000, 0, 1000, 200, 2000)])
        # 24 steps, one LED each, short steps (1.5 ms): the photometric-stereo pattern at speed.
        worst = max(worst, test_sequence(rig, c, [(1 << k, 3000, 300 + 10 * k, 100, 1200) for k in range(24)]))
        # settleUs = 0 (trigger with the latch) and triggerUs = exposureUs (fall with the switch-off).
        worst = max(worst, test_sequence(rig, c, [(0x1, 2000, 0, 100, 1500), (0x2, 2000, 800, 700, 700),
                                                  (0x4, 2000, 0, 1000, 1000), (0x8, 2000, 40, 50, 900)]))
        worst = max(worst, test_abort(rig, c))
        test_link(rig, c)
        test_host_timeout(rig, c)
        test_on_time(rig, c)
        test_over_temp(rig, c)
        # Unplug / replug: the path vanishes and comes back; the firmware keeps running.
        c.close()
        rig.send('unplug')
        deadline = time.monotonic() + 2
        while os.path.lexists(pty_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        check(not os.path.lexists(pty_path), 'unplug removes the pty path')
        mark = rig.mark()
        rig.send('replug')
        rig.wait_line(lambda l: l.startswith('READY'), mark)
        c = Client(pty_path)
        boot_before = identify(c)['bootId']
        check(True, 'IDENTIFY after replug (bootId %d)' % boot_before)
        mark = rig.mark()
        rig.send('reset')
        rig.wait_line(lambda l: l.startswith('RESET'), mark)
        boot = c.wait_event(0xC0, timeout=3)
        boot_id = struct.unpack('<HBB', boot[2])[0]
        check(boot_id == (boot_before + 1) & 0xFFFF, 'reset: BOOT event with bootId %d' % boot_id)
        c.seq = 0
        check(identify(c)['channels'] == 24, 'IDENTIFY after reset')
        c.close()
    finally:
        rc = rig.close()
    check(rc == 0, 'harness exits 0 on quit')
    print('worst sequence edge error: %.3f us' % worst)
    if failures:
        print('%d FAILED' % len(failures))
        sys.exit(1)
    print('all passed')


if __name__ == '__main__':
    main()
