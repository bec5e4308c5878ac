import type { RigPinEvent, RigPinSource } from '../../../src/hardware/rig/pins.ts';

/** An honest in-test RigPinSource: emits the pin events a test scripts, in order, synchronously. */
export class ScriptedPinSource implements RigPinSource {
  private readonly listeners = new Set<(e: RigPinEvent) => void>();

  onPinEvent(listener: (event: RigPinEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(event: RigPinEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Latch levels, raise the trigger at timeUs with those levels lit, drop it pulseUs later. */
  pulse(timeUs: number, litLevels: readonly number[], pulseUs = 10): void {
    this.emit({ kind: 'latch', timeUs: timeUs - 100, levels: litLevels });
    this.emit({ kind: 'trigger', timeUs, high: true, litLevels });
    this.emit({ kind: 'trigger', timeUs: timeUs + pulseUs, high: false, litLevels });
  }
}
