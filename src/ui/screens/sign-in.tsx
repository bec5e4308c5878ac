import { useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api.ts';
import { OnScreenKeyboard, PinPad } from '../keyboard.tsx';
import { strings } from '../strings.ts';

/** Name (on-screen keyboard) + PIN (keypad) sign-in; the daemon answers with an httpOnly session cookie. */
export function SignIn(props: { onSignedIn: (s: Session) => void; notice?: string | undefined }) {
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [field, setField] = useState<'name' | 'pin'>('name');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await api<Session>('POST', '/api/session', { name: name.trim(), pin }));
    } catch (err) {
      setError(err instanceof ApiError && err.code !== 'GB_NETWORK' ? err.message : strings.errors.network);
      setPin('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>{strings.signIn.title}</h1>
      {props.notice && <p class="notice">{props.notice}</p>}
      <div class="signin-body">
        <div class="signin-fields">
          <button type="button" class={`field ${field === 'name' ? 'active' : ''}`} data-testid="name-field" onClick={() => setField('name')}>
            <span class="label">{strings.signIn.name}</span>
            <span class="value">{name || ' '}</span>
          </button>
          <button type="button" class={`field ${field === 'pin' ? 'active' : ''}`} data-testid="pin-field" onClick={() => setField('pin')}>
            <span class="label">{strings.signIn.pin}</span>
            <span class="value">{'●'.repeat(pin.length) || ' '}</span>
          </button>
          {error && (
            <p class="error" role="alert">
              {strings.signIn.failed}: {error}
            </p>
          )}
          <button type="button" class="big primary" disabled={busy || name.trim() === '' || pin.length < 4} onClick={() => void submit()}>
            {strings.signIn.submit}
          </button>
        </div>
        <div class="signin-input">
          <p class="prompt">{field === 'name' ? strings.signIn.namePrompt : strings.signIn.pinPrompt}</p>
          {field === 'name' ? (
            <OnScreenKeyboard onKey={(ch) => setName((n) => (n.length < 64 ? n + ch : n))} onBackspace={() => setName((n) => n.slice(0, -1))} onDone={() => setField('pin')} />
          ) : (
            <PinPad onDigit={(d) => setPin((p) => (p.length < 8 ? p + d : p))} onBackspace={() => setPin((p) => p.slice(0, -1))} onClear={() => setPin('')} />
          )}
        </div>
      </div>
    </main>
  );
}
