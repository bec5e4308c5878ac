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

/**
 * Operator management: list (disabled ones marked), add (name on the on-screen keyboard, PIN on the
 * keypad, role), disable / enable, a new PIN (keypad; it clears a wrong-PIN lock and ends their sessions),
 * and remove with a second touch to confirm.
 */
export function OperatorsPage() {
  const [list, setList] = useState<Operator[]>([]);
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [role, setRole] = useState<'operator' | 'technician'>('operator');
  const [field, setField] = useState<'name' | 'pin'>('name');
  /** The operator whose PIN is being reset; undefined: the form adds a new one. */
  const [pinFor, setPinFor] = useState<Operator | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const load = (): void => void api<Operator[]>('GET', '/api/operators').then(setList, () => undefined);
  useEffect(load, []);
  const fail = (err: unknown): void => setMessage({ ok: false, text: err instanceof ApiError ? `${err.code}: ${err.message}` : String(err) });
  const add = async (): Promise<void> => {
    try {
      const created = await api<Operator>('POST', '/api/operators', { name: name.trim(), pin, role });
      setMessage({ ok: true, text: strings.tech.created(created.name) });
      setName('');
      setPin('');
      setField('name');
      load();
    } catch (err) {
      fail(err);
    }
  };
  const setNewPin = async (o: Operator): Promise<void> => {
    try {
      await api('POST', `/api/operators/${o.id}/pin`, { pin });
      setMessage({ ok: true, text: strings.tech.pinSet(o.name) });
      setPin('');
      setPinFor(undefined);
      setField('name');
    } catch (err) {
      fail(err);
    }
  };
  const toggle = async (o: Operator): Promise<void> => {
    try {
      const r = await api<Operator>('POST', `/api/operators/${o.id}/${o.disabledAt ? 'enable' : 'disable'}`, {});
      setMessage({ ok: true, text: r.disabledAt ? strings.tech.disabledMsg(r.name) : strings.tech.enabledMsg(r.name) });
    } catch (err) {
      fail(err);
    }
    load();
  };
  const remove = async (o: Operator): Promise<void> => {
    if (confirm !== o.id) {
      setConfirm(o.id);
      return;
    }
    setConfirm(undefined);
    try {
      await api('DELETE', `/api/operators/${o.id}`);
      setMessage({ ok: true, text: strings.tech.removedMsg(o.name) });
    } catch (err) {
      fail(err);
    }
    load();
  };
  const startPin = (o: Operator): void => {
    setPinFor(o);
    setPin('');
    setField('pin');
    setMessage(undefined);
  };
  return (
    <main class="tech" data-testid="operators-page">
      <h1>{strings.tech.operatorsTitle}</h1>
      <div class="operators">
        <ul class="oplist">
          {list.map((o) => (
            <li data-operator={o.name} class={o.disabledAt ? 'gone' : ''}>
              <span class="opmain">
                <span class="opname">{o.name}</span>
                <span class="oprole">{o.role}{o.disabledAt ? ` · ${strings.tech.disabled}` : ''}</span>
              </span>
              <span class="opbuttons">
                <button type="button" class="small" onClick={() => void toggle(o)}>{o.disabledAt ? strings.tech.enable : strings.tech.disable}</button>
                <button type="button" class="small" onClick={() => startPin(o)}>{strings.tech.resetPin}</button>
                <button type="button" class={`small danger ${confirm === o.id ? 'primary' : ''}`} onClick={() => void remove(o)}>{confirm === o.id ? strings.tech.confirmRemove : strings.tech.remove}</button>
              </span>
            </li>
          ))}
        </ul>
        <div class="opform">
          {pinFor ? (
            <>
              <div class="field active" data-testid="pin-for">
                <span class="label">{strings.tech.newPinFor(pinFor.name)}</span><span class="value">{'●'.repeat(pin.length) || ' '}</span>
              </div>
              {message && <p class={message.ok ? 'okmsg' : 'error'} data-testid="operators-message">{message.text}</p>}
              <div class="segmented">
                <button type="button" onClick={() => { setPinFor(undefined); setPin(''); setField('name'); }}>{strings.tech.backToAdd}</button>
                <button type="button" class="primary" disabled={pin.length < 4} onClick={() => void setNewPin(pinFor)}>{strings.tech.setPin}</button>
              </div>
              <PinPad onDigit={(d) => setPin((p) => (p.length < 8 ? p + d : p))} onBackspace={() => setPin((p) => p.slice(0, -1))} onClear={() => setPin('')} />
            </>
          ) : (
            <>
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
              {message && <p class={message.ok ? 'okmsg' : 'error'} data-testid="operators-message">{message.text}</p>}
              <button type="button" class="big primary" disabled={name.trim() === '' || pin.length < 4} onClick={() => void add()}>{strings.tech.addOperator}</button>
              {field === 'name' ? (
                <OnScreenKeyboard onKey={(ch) => setName((n) => n + ch)} onBackspace={() => setName((n) => n.slice(0, -1))} onDone={() => setField('pin')} />
              ) : (
                <PinPad onDigit={(d) => setPin((p) => (p.length < 8 ? p + d : p))} onBackspace={() => setPin((p) => p.slice(0, -1))} onClear={() => setPin('')} />
              )}
            </>
          )}
        </div>
      </div>
    </main>
  );
}
