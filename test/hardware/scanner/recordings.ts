import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A recorded report stream: one chunk per non-comment line of hex bytes, as read from the device. */
export function loadRecording(name: string): Uint8Array[] {
  return readFileSync(join(here, 'recordings', name), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Uint8Array.from(l.split(/\s+/).map((h) => parseInt(h, 16))));
}

/** All chunks joined into one byte stream. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Cut a stream into pieces of the given sizes (cycled), as a serial line or a slow reader would. */
export function split(stream: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(stream.subarray(at, at + n));
    at += n;
  }
  return out;
}
