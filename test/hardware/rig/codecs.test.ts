import t from 'tap';
import {
  decodeClearFaults, decodeEvent, decodeGeometryRead, decodeIdentify, decodeNak, decodePing, decodeSeqLoad, decodeSeqRun,
  decodeStatus, decodeStep, encodeConfig, encodeGeometryRead, encodeGeometryWrite, encodeSeqLoad,
} from '../../../src/hardware/rig/codecs.ts';
import { encodeSerial, packLevels } from '../../../src/hardware/rig/messages.ts';
import { encodeEventAck } from '../../../src/hardware/rig/writer.ts';
import { frameVector, payloadOf } from './vectors.ts';

t.test('responses decode to the values the shared vectors describe', async (t) => {
  t.match(decodeIdentify(payloadOf('IDENTIFY response')), {
    protocolVersion: 1, firmwareVersion: '1.0.0', channels: 24, maxSteps: 48, maxPayload: 64,
    capabilities: { sequence: true, thermistor: true, geometryEeprom: true, sleep: true, bits: 0x0f },
    clockHz: 16_000_000, bootId: 7, resetCause: 1, serial: 'RIG-0001', geometryBytes: 768,
  });
  t.equal(decodePing(payloadOf('PING response')), 123456789);
  const status = decodeStatus(payloadOf('GET_STATUS response'));
  const levels = new Array(24).fill(0);
  levels[5] = 4095;
  t.match(status, {
    state: 'running', faults: 0, blanked: false, eventsLost: false, tempC: 25.12, adcRaw: 512, stepsLoaded: 3, currentStep: 1,
    nowUs: 1234567, hostTimeoutMs: 1500, maxOnMs: 5000, tempLimitC: 70,
  });
  t.same(status.levels, levels);
  t.equal(decodeSeqLoad(payloadOf('SEQ_LOAD response')), 2);
  t.same(decodeSeqRun(payloadOf('SEQ_RUN response')), { steps: 3, startUs: 2_000_000 });
  t.equal(decodeClearFaults(payloadOf('CLEAR_FAULTS response')), 0x0004);
  t.equal(decodeGeometryRead(payloadOf('GEOMETRY_READ response'), 5).toString('latin1'), '{"a":');
  t.same(decodeNak(payloadOf('NAK BAD_CRC')), { reason: 1, seq: 6 });
  t.same(decodeNak(payloadOf('NAK BUSY')), { reason: 4, seq: 7 });
  t.throws(() => decodeIdentify(Buffer.alloc(3)), { code: 'GB_RIG_PROTOCOL' });
});

t.test('events decode to the values the shared vectors describe', async (t) => {
  const ev = (name: string) => decodeEvent(frameVector(name).type, payloadOf(name));
  t.same(ev('BOOT'), { kind: 'boot', bootId: 7, resetCause: 2, protocolVersion: 1 });
  t.same(ev('STEP_DONE'), { kind: 'stepDone', step: 0, triggerUs: 2_001_000, latenessUs: -3, onUs: 6000 });
  t.same(ev('SEQ_DONE'), { kind: 'seqDone', steps: 3, aborted: false, faults: 0 });
  t.same(ev('SEQ_DONE aborted'), { kind: 'seqDone', steps: 1, aborted: true, faults: 1 });
  t.same(ev('FAULT'), { kind: 'fault', raised: 4, latched: 5, tempC: 90 });
  t.same(ev('TEMPERATURE'), { kind: 'temperature', tempC: 25, adcRaw: 512 });
});

t.test('commands encode to the shared vectors bytes', async (t) => {
  t.equal(packLevels(Array.from({ length: 24 }, (_, n) => 170 * n + 5)).toString('hex'), frameVector('SET_LEVELS').payloadHex);
  const steps = [
    { channels: [0], level: 4095, settleUs: 1000, triggerUs: 100, exposureUs: 5000 },
    { channels: [1, 2], level: 2048, settleUs: 500, triggerUs: 50, exposureUs: 2000 },
  ];
  t.equal(encodeSeqLoad(0, steps).toString('hex'), frameVector('SEQ_LOAD').payloadHex);
  const max = payloadOf('SEQ_LOAD max');
  const decoded = [0, 1, 2, 3].map((i) => decodeStep(max.subarray(1 + 15 * i, 16 + 15 * i)));
  t.equal(encodeSeqLoad(4, decoded).toString('hex'), max.toString('hex'), 'max SEQ_LOAD round-trips');
  t.equal(encodeConfig({ hostTimeoutMs: 1500, maxOnMs: 5000, tempLimitC: 70 }).toString('hex'), frameVector('SET_CONFIG').payloadHex);
  t.equal(encodeSerial('RIG-0001').toString('hex'), frameVector('SET_SERIAL').payloadHex);
  t.equal(encodeGeometryWrite(300, Buffer.from('{"a":', 'latin1')).toString('hex'), frameVector('GEOMETRY_WRITE').payloadHex);
  t.equal(encodeGeometryRead(300, 5).toString('hex'), frameVector('GEOMETRY_READ').payloadHex);
  t.equal(encodeEventAck(17).toString('hex'), frameVector('EVENT_ACK').hex);
});

t.test('step and config validation say what is wrong', async (t) => {
  const ok = { channels: [0], level: 1, settleUs: 0, triggerUs: 10, exposureUs: 10 };
  t.throws(() => encodeSeqLoad(0, [{ ...ok, triggerUs: 11 }]), { code: 'GB_VALIDATION', message: /triggerUs/ });
  t.throws(() => encodeSeqLoad(0, [{ ...ok, channels: [24] }]), { code: 'GB_VALIDATION', message: /channel/ });
  t.throws(() => encodeSeqLoad(0, [{ ...ok, level: 4096 }]), { code: 'GB_VALIDATION', message: /level/ });
  t.throws(() => encodeConfig({ hostTimeoutMs: 50, maxOnMs: 1, tempLimitC: 70 }), { code: 'GB_VALIDATION', message: /hostTimeoutMs/ });
  t.throws(() => encodeSerial('x'.repeat(17)), { code: 'GB_VALIDATION' });
  t.throws(() => encodeConfig({ hostTimeoutMs: 1500, maxOnMs: 5000, tempLimitC: 151 }), { code: 'GB_VALIDATION', message: /tempLimitC/ });
  t.equal(encodeConfig({ hostTimeoutMs: 60000, maxOnMs: 65535, tempLimitC: -40 }).length, 6);
});
