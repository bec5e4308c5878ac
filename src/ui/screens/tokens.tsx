import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiToken } from '../api.ts';
import { OnScreenKeyboard } from '../keyboard.tsx';
import { strings } from '../strings.ts';

const S = strings.tech;
const EXPIRIES_S = { never: undefined, day: 86_400, month: 30 * 86_400, year: 365 * 86_400 } as const;
type Expiry = keyof typeof EXPIRIES_S;

const when = (iso: string): string => new Date(iso).toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));

/** A token's state in words: revoked, expired, or when it expires; and its last use. */
function tokenState(t: ApiToken, nowMs: number): { live: boolean; text: string } {
  if (t.revokedAt) return { live: false, text: S.tokenRevoked(when(t.revokedAt)) };
  if (t.expiresAt && Date.parse(t.expiresAt) <= nowMs) return { live: false, text: S.tokenExpired(when(t.expiresAt)) };
  return { live: true, text: `${t.expiresAt ? S.tokenExpiresAt(when(t.expiresAt)) : S.tokenNeverExpires} · ${S.tokenLastUsed(t.lastUsedAt ? when(t.lastUsedAt) : null)}` };
}

/**
 * API token management for technicians: every token (never its secret) with its role, state and last
 * use; create one (its name on the on-screen keyboard, role and expiry as buttons) — the secret is shown
 * once, then only its id remains; revoke with a second touch to confirm.
 */
export function TokensPage() {
  const [list, setList] = useState<ApiToken[]>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'operator' | 'technician'>('operator');
  const [expiry, setExpiry] = useState<Expiry>('never');
  const [created, setCreated] = useState<{ token: string; name: string } | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const load = (): void => void api<ApiToken[]>('GET', '/api/tokens').then(setList, (err: unknown) => setMessage({ ok: false, text: errorText(err) }));
  useEffect(load, []);

  const create = async (): Promise<void> => {
    try {
      const expiresInS = EXPIRIES_S[expiry];
      const res = await api<{ token: string; record: ApiToken }>('POST', '/api/tokens', { name: name.trim(), role, ...(expiresInS === undefined ? {} : { expiresInS }) });
      setCreated({ token: res.token, name: res.record.name });
      setName('');
      setMessage(undefined);
      load();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
  };
  const revoke = async (t: ApiToken): Promise<void> => {
    if (confirm !== t.id) {
      setConfirm(t.id);
      return;
    }
    setConfirm(undefined);
    try {
      await api('DELETE', `/api/tokens/${t.id}`);
      setMessage({ ok: true, text: S.tokenRevokedMsg(t.name) });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    }
    load();
  };

  const now = Date.now();
  return (
    <main class="tech" data-testid="tokens-page">
      <h1>{S.tokensTitle}</h1>
      <div class="operators">
        <ul class="oplist tokenlist">
          {[...list].reverse().map((t) => {
            const state = tokenState(t, now);
            return (
              <li data-token={t.id} class={state.live ? '' : 'gone'}>
                <span class="opmain">
                  <span class="opname">{t.name}</span>
                  <span class="oprole">{t.role} · {t.id}</span>
                  <span class="opsub">{state.text}</span>
                </span>
                {state.live && (
                  <button type="button" class={`small danger ${confirm === t.id ? 'primary' : ''}`} onClick={() => void revoke(t)}>
                    {confirm === t.id ? S.tokenConfirmRevoke : S.tokenRevoke}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
        <div class="opform">
          {created ? (
            <div class="newtoken" role="alert" data-testid="token-new">
              <p>{S.tokenNew}</p>
              <p class="secret" data-testid="token-secret">{created.token}</p>
              <button type="button" class="big primary" onClick={() => setCreated(undefined)}>{S.tokenNewDone}</button>
            </div>
          ) : (
            <>
              <div class="field active" data-testid="token-name">
                <span class="label">{S.tokenName}</span><span class="value">{name || ' '}</span>
              </div>
              <div class="segmented">
                <button type="button" class={role === 'operator' ? 'on' : ''} onClick={() => setRole('operator')}>{S.roleOperator}</button>
                <button type="button" class={role === 'technician' ? 'on' : ''} onClick={() => setRole('technician')}>{S.roleTechnician}</button>
              </div>
              <div class="segmented" role="group" aria-label={S.tokenExpiry}>
                {(Object.keys(EXPIRIES_S) as Expiry[]).map((e) => (
                  <button type="button" class={expiry === e ? 'on' : ''} onClick={() => setExpiry(e)}>{S.tokenExpiries[e]}</button>
                ))}
              </div>
              {message && <p class={message.ok ? 'okmsg' : 'error'} data-testid="token-message">{message.text}</p>}
              <button type="button" class="big primary" disabled={name.trim() === ''} onClick={() => void create()}>{S.tokenCreate}</button>
              <OnScreenKeyboard onKey={(ch) => setName((n) => (n.length < 64 ? n + ch : n))} onBackspace={() => setName((n) => n.slice(0, -1))} />
            </>
          )}
        </div>
      </div>
    </main>
  );
}
