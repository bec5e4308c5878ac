import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type BoothStatus, type Operator } from '../api.ts';
import { OnScreenKeyboard, PinPad } from '../keyboard.tsx';
import { strings } from '../strings.ts';

/** Shown to an operator who reaches a technician page (the API refuses them too). */
export function TechniciansOnly() {
  return (
    <main class="panel bad" data-testid="tech-only">
      <h1>{strings.tech.only}</h1>
      <p class="hint">{strings.tech.onlyHint}</p>
    </main>
  );
}

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MB`;

/** Booth status for technicians: overall state, problems, each device with its detail. */
export function StatusPage() {
  const [status, setStatus] = useState<BoothStatus | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = (): void => {
    api<BoothStatus>('GET', '/api/status').then(setStatus, (err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  };
  useEffect(load, []);
  if (error) return <main class="panel bad"><p class="message">{error}</p></main>;
  if (!status) return <main class="panel" />;
  return (
    <main class="tech" data-testid="status-page">
      <div class="tech-head">
        <h1>{strings.tech.statusTitle}</h1>
        <button type="button" class="big" onClick={load}>{strings.tech.refresh}</button>
      </div>
      <dl class="facts">
        <dt>{strings.tech.overall}</dt><dd class={status.status === 'ok' ? 'ok' : 'bad'}>{status.boothId}: {status.status}</dd>
        <dt>{strings.tech.version}</dt><dd>{status.versions.gradebooth}</dd>
        <dt>{strings.tech.schema}</dt><dd>{status.versions.schema}</dd>
        <dt>{strings.tech.uptime}</dt><dd>{Math.round(status.uptimeS)} s</dd>
        <dt>{strings.tech.disk}</dt><dd>{mb(status.disk.freeBytes)} / {mb(status.disk.totalBytes)}</dd>
      </dl>
      {status.problems.length > 0 && <ul class="problems">{status.problems.map((p) => <li>{p}</li>)}</ul>}
      <table class="devices">
        <thead><tr><th>{strings.tech.device}</th><th>{strings.tech.kind}</th><th>{strings.tech.state}</th><th>{strings.tech.detail}</th></tr></thead>
        <tbody>
          {status.hardware.map((d) => (
            <tr>
              <td>{d.device}</td><td>{d.kind}</td><td class={d.state === 'connected' ? 'ok' : d.state === 'absent' ? '' : 'bad'}>{d.state}</td><td>{d.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

/** Operator management: list, add (name on the on-screen keyboard, PIN on the keypad), remove. */
export function OperatorsPage() {
  const [list, setList] = useState<Operator[]>([]);
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [role, setRole] = useState<'operator' | 'technician'>('operator');
  const [field, setField] = useState<'name' | 'pin'>('name');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const load = (): void => void api<Operator[]>('GET', '/api/operators').then(setList, () => undefined);
  useEffect(load, []);
  const add = async (): Promise<void> => {
    try {
      const created = await api<Operator>('POST', '/api/operators', { name: name.trim(), pin, role });
      setMessage({ ok: true, text: strings.tech.created(created.name) });
      setName('');
      setPin('');
      load();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  const remove = async (id: string): Promise<void> => {
    await api('DELETE', `/api/operators/${id}`).catch((err: unknown) => setMessage({ ok: false, text: String(err) }));
    load();
  };
  return (
    <main class="tech" data-testid="operators-page">
      <h1>{strings.tech.operatorsTitle}</h1>
      <div class="operators">
        <ul class="oplist">
          {list.map((o) => (
            <li>
              <span class="opname">{o.name}</span>
              <span class="oprole">{o.role}</span>
              <button type="button" class="small danger" onClick={() => void remove(o.id)}>{strings.tech.remove}</button>
            </li>
          ))}
        </ul>
        <div class="opform">
          <button type="button" class={`field ${field === 'name' ? 'active' : ''}`} onClick={() => setField('name')}>
            <span class="label">{strings.tech.newName}</span><span class="value">{name || ' '}</span>
          </button>
          <button type="button" class={`field ${field === 'pin' ? 'active' : ''}`} onClick={() => setField('pin')}>
            <span class="label">{strings.tech.newPin}</span><span class="value">{'●'.repeat(pin.length) || ' '}</span>
          </button>
          <div class="segmented">
            <button type="button" class={role === 'operator' ? 'on' : ''} onClick={() => setRole('operator')}>{strings.tech.roleOperator}</button>
            <button type="button" class={role === 'technician' ? 'on' : ''} onClick={() => setRole('technician')}>{strings.tech.roleTechnician}</button>
          </div>
          {message && <p class={message.ok ? 'okmsg' : 'error'}>{message.text}</p>}
          <button type="button" class="big primary" disabled={name.trim() === '' || pin.length < 4} onClick={() => void add()}>{strings.tech.addOperator}</button>
          {field === 'name' ? (
            <OnScreenKeyboard onKey={(ch) => setName((n) => n + ch)} onBackspace={() => setName((n) => n.slice(0, -1))} onDone={() => setField('pin')} />
          ) : (
            <PinPad onDigit={(d) => setPin((p) => (p.length < 8 ? p + d : p))} onBackspace={() => setPin((p) => p.slice(0, -1))} onClear={() => setPin('')} />
          )}
        </div>
      </div>
    </main>
  );
}
