import type { EventBus } from '../../core/events.ts';
import type { Rig } from './rig.ts';

/**
 * Publish the rig's health changes (state, and the fault names while in fault) on the daemon's bus as 'hardware.status'
 * (device 'rig'); returns the function that stops publishing.
 */
export function publishRigStatus(driver: Rig, bus: EventBus, device = 'rig'): () => void {
  const offStatus = driver.onStatus((health) => {
    const detail = health.state === 'fault' ? `faults: ${health.faultNames.join(', ')}` : health.state === 'disconnected' ? health.lastError?.message : health.identity ? `firmware ${health.identity.firmwareVersion}, serial ${health.identity.serial}` : undefined;
    bus.emit('hardware.status', detail === undefined ? { device, state: health.state } : { device, state: health.state, detail });
  });
  return () => {
    offStatus();
  };
}
