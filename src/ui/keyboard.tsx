import { useState } from 'preact/hooks';
import { strings } from './strings.ts';

const ROWS = ['1234567890', 'QWERTYUIOP', 'ASDFGHJKL-', 'ZXCVBNM.'];

/** An on-screen keyboard for the touchscreen (no physical keyboard at the booth); keys are ≥ 56 px. */
export function OnScreenKeyboard(props: { onKey: (ch: string) => void; onBackspace: () => void; onDone?: () => void }) {
  const [shift, setShift] = useState(true);
  const press = (ch: string): void => {
    props.onKey(shift ? ch : ch.toLowerCase());
    if (shift) setShift(false);
  };
  return (
    <div class="osk" role="group" aria-label="keyboard">
      {ROWS.map((row) => (
        <div class="osk-row">
          {[...row].map((ch) => (
            <button type="button" class="key" onClick={() => press(ch)}>
              {shift ? ch : ch.toLowerCase()}
            </button>
          ))}
        </div>
      ))}
      <div class="osk-row">
        <button type="button" class={`key wide ${shift ? 'on' : ''}`} onClick={() => setShift(!shift)}>
          {strings.keyboard.shift}
        </button>
        <button type="button" class="key space" onClick={() => props.onKey(' ')}>
          {strings.keyboard.space}
        </button>
        <button type="button" class="key wide" onClick={props.onBackspace} aria-label={strings.signIn.back}>
          ⌫
        </button>
        {props.onDone && (
          <button type="button" class="key wide primary" onClick={props.onDone}>
            {strings.keyboard.done}
          </button>
        )}
      </div>
    </div>
  );
}

/** A numeric keypad for PINs: large keys, the digits never shown. */
export function PinPad(props: { onDigit: (d: string) => void; onBackspace: () => void; onClear: () => void }) {
  return (
    <div class="pinpad" role="group" aria-label="PIN keypad">
      {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => (
        <button type="button" class="key digit" onClick={() => props.onDigit(d)}>
          {d}
        </button>
      ))}
      <button type="button" class="key digit" onClick={props.onClear}>
        {strings.signIn.clear}
      </button>
      <button type="button" class="key digit" onClick={() => props.onDigit('0')}>
        0
      </button>
      <button type="button" class="key digit" onClick={props.onBackspace} aria-label={strings.signIn.back}>
        ⌫
      </button>
    </div>
  );
}
