import type { BoothEvent } from '../events.ts';
import { strings } from '../strings.ts';

export interface ScanView {
  /** The last barcode the scanner read and validated. */
  last?: { code: string; at: string; source: string } | undefined;
  /** The last read that did not parse. */
  rejected?: { message: string; at: string } | undefined;
  scannerState: string;
  scannerDetail: string;
}

/** Fold one live event into the scan screen's state. */
export function reduceScanEvent(view: ScanView, e: BoothEvent): ScanView {
  if (e.type === 'scanner.barcode') return { ...view, last: { code: String(e.data.code), at: e.at, source: String(e.data.source) }, rejected: undefined };
  if (e.type === 'scanner.rejected') return { ...view, rejected: { message: String(e.data.message), at: e.at } };
  if (e.type === 'hardware.status' && e.data.device === 'scanner') return { ...view, scannerState: String(e.data.state), scannerDetail: String(e.data.detail ?? '') };
  return view;
}

const time = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The operator's main screen: ready state, the last barcode read, a refused read, the scanner's state. */
export function ScanScreen(props: { view: ScanView; live: boolean }) {
  const { view } = props;
  const scannerOk = view.scannerState === 'connected';
  return (
    <main class="scan">
      {view.rejected ? (
        <section class="panel bad" role="alert" data-testid="scan-rejected">
          <h1>{strings.scan.rejected}</h1>
          <p class="message">{view.rejected.message}</p>
          <p class="hint">{strings.scan.rejectedHint}</p>
        </section>
      ) : view.last ? (
        <section class="panel good" data-testid="scan-last">
          <h2>{strings.scan.lastRead}</h2>
          <p class="barcode">{view.last.code}</p>
          <p class="hint">{strings.scan.readAt(time(view.last.at))}</p>
          <p class="pending">{strings.scan.gradingUnavailable}</p>
        </section>
      ) : (
        <section class="panel ready" data-testid="scan-ready">
          <h1>{strings.scan.ready}</h1>
          <p class="hint">{strings.scan.readyHint}</p>
        </section>
      )}
      <footer class="statusline">
        <span class={`dot ${scannerOk ? 'ok' : 'bad'}`} />
        <span>
          {strings.scan.scanner}: {scannerOk ? view.scannerDetail : view.scannerDetail || strings.scan.scannerAbsent}
        </span>
        <span class="spacer" />
        <span class={`dot ${props.live ? 'ok' : 'bad'}`} />
        <span>{props.live ? strings.scan.live : strings.scan.offline}</span>
      </footer>
    </main>
  );
}
