import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type RigReading } from '../api.ts';
import { strings } from '../strings.ts';

const LEVELS = { low: 1024, mid: 2048, full: 4095 } as const;
type LevelName = keyof typeof LEVELS;

const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

/**
 * The technician's rig diagnostics: one button per LED (touch to light it alone), All off, Clear faults,
 * and the rig's live figures (connection, firmware, temperature, faults, what is lit, the link counters),
 * read through the daemon about once a second (the next read a second after the last answered). While a
 * job uses the booth the API refuses with GB_CONFLICT and the page shows why and keeps asking.
 */
export function RigPage() {
  const [reading, setReading] = useState<RigReading | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [level, setLevel] = useState<LevelName>('full');
  const busy = useRef(false);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = async (): Promise<void> => {
      if (!busy.current) {
        try {
          const r = await api<RigReading>('GET', '/api/rig/diagnostics');
          if (stopped) return;
          setReading(r);
          setMessage(undefined);
        } catch (err) {
          if (stopped) return;
          setMessage(errorText(err));
        }
      }
      if (!stopped) timer = setTimeout(() => void next(), 1000);
    };
    void next();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, []);

  const act = async (method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> => {
    busy.current = true;
    try {
      setReading(await api<RigReading>(method, path, body));
      setMessage(undefined);
    } catch (err) {
      setMessage(errorText(err));
    } finally {
      busy.current = false;
    }
  };

  const r = reading;
  const lit = r?.lit ?? null;
  const levels = r?.rig?.levels ?? [];
  return (
    <main class="tech" data-testid="rig-page">
      <div class="tech-head">
        <h1>{strings.tech.rigTitle}</h1>
        <div class="actions-row">
          <button type="button" class="big" onClick={() => void act('DELETE', '/api/rig/leds')}>{strings.tech.rigAllOff}</button>
          <button type="button" class="big" onClick={() => void act('POST', '/api/rig/faults/clear')}>{strings.tech.rigClearFaults}</button>
        </div>
      </div>
      <p class="hint rig-hint">{strings.tech.rigHint}</p>
      {message && <p class="error" data-testid="rig-message">{message}</p>}
      <div class="rig-body">
        <div class="rig-leds">
          <div class="segmented" role="group" aria-label={strings.tech.rigLevel}>
            {(Object.keys(LEVELS) as LevelName[]).map((l) => (
              <button type="button" class={level === l ? 'on' : ''} onClick={() => setLevel(l)}>{strings.tech.rigLevels[l]}</button>
            ))}
          </div>
          <div class="ledgrid" data-testid="rig-leds">
            {Array.from({ length: r?.channels ?? 24 }, (_, i) => (
              <button type="button" class={`ledkey ${lit?.led === i ? 'on' : ''} ${(levels[i] ?? 0) > 0 ? 'lit' : ''}`} aria-pressed={lit?.led === i} onClick={() => void act('POST', '/api/rig/leds', { led: i, level: LEVELS[level] })}>
                {i}
              </button>
            ))}
          </div>
        </div>
        {r && (
          <div class="rig-figures">
            <dl class="facts" data-testid="rig-facts">
              <dt>{strings.tech.rigConnection}</dt><dd class={r.state === 'connected' ? 'ok' : 'bad'}>{r.state}{r.statusError ? ` — ${r.statusError.code}: ${r.statusError.message}` : ''}</dd>
              <dt>{strings.tech.rigFirmware}</dt><dd data-testid="rig-firmware">{r.firmwareVersion ?? '—'} (protocol {r.protocolVersion ?? '—'})</dd>
              <dt>{strings.tech.rigSerial}</dt><dd>{r.serial ?? '—'} · {strings.tech.rigBoot} {r.bootId ?? '—'}</dd>
              <dt>{strings.tech.rigTemperature}</dt><dd data-testid="rig-temp">{r.rig ? strings.tech.rigTemp(r.rig.tempC, r.rig.tempLimitC) : '—'}</dd>
              <dt>{strings.tech.rigFaults}</dt><dd class={r.faults.length > 0 ? 'bad' : 'ok'} data-testid="rig-faults">{r.faults.length > 0 ? r.faults.join(', ') : strings.tech.rigNoFaults}</dd>
              <dt>{strings.tech.rigLit}</dt>
              <dd data-testid="rig-lit">{lit ? strings.tech.rigLitLed(lit.led, lit.level, Math.max(0, Math.round((Date.parse(lit.offAt) - Date.parse(r.at)) / 1000))) : strings.tech.rigNothingLit}</dd>
            </dl>
            <h2>{strings.tech.rigCounters}</h2>
            <div class="counters" data-testid="rig-counters">
              {Object.entries(strings.tech.rigCounterNames).map(([key, label]) => (
                <div class="counter" data-counter={key}><span>{label}</span><span class="num">{r.counters[key] ?? 0}</span></div>
              ))}
            </div>
            <p class="hint">{strings.tech.rigRtt(r.rtoMs, r.srttMs)}</p>
          </div>
        )}
      </div>
    </main>
  );
}
