/**
 * What the simulated rig observes on the firmware's pins, in simulated time. The AVR simulator harness
 * decodes the TLC5947 SPI stream at each XLAT latch and watches BLANK and the camera trigger pin; the
 * simulated camera subscribes to this, so it sees exactly the LEDs the firmware lit when the trigger rose.
 * Times are microseconds of simulated MCU time since the simulator started (not the firmware's own clock,
 * which restarts at each firmware reset).
 */
export interface LatchEvent {
  kind: 'latch';
  timeUs: number;
  /** 24 channel levels, 0..4095, as latched into the driver's outputs. */
  levels: readonly number[];
}

export interface BlankEvent {
  kind: 'blank';
  timeUs: number;
  /** BLANK high = all driver outputs off regardless of latched levels. */
  high: boolean;
}

export interface TriggerEvent {
  kind: 'trigger';
  timeUs: number;
  /** Rising edge = start of exposure. */
  high: boolean;
  /** Effective LED levels at this instant (zeros while BLANK is high), 24 × 0..4095. */
  litLevels: readonly number[];
}

export type RigPinEvent = LatchEvent | BlankEvent | TriggerEvent;

/** A source of pin events: the simulated rig implements it; the simulated camera consumes it. */
export interface RigPinSource {
  /** Subscribe; returns the unsubscribe function. */
  onPinEvent(listener: (event: RigPinEvent) => void): () => void;
}
