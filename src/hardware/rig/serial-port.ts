import { SerialPort } from 'serialport';
import { createError } from '../../core/errors.ts';
import type { RigPort, RigPortFactory } from './link.ts';

/** UART speed of the rig (PROTOCOL.md "Physical link"), baud. */
export const RIG_BAUD_RATE = 250_000;

/** Open a tty or pty path with serialport; rejects GB_HW_ABSENT when it cannot be opened. */
export function openSerialPort(path: string, baudRate = RIG_BAUD_RATE): Promise<RigPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) reject(createError('GB_HW_ABSENT', `cannot open LED rig port ${path}: ${err.message}`, { path }));
      else resolve(port);
    });
  });
}

/** A port factory for the driver that opens `path` afresh at every (re)connect. */
export function serialPortFactory(path: string, baudRate = RIG_BAUD_RATE): RigPortFactory {
  return () => openSerialPort(path, baudRate);
}
