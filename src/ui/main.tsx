import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type BoothStatus, type Session } from './api.ts';
import { subscribeEvents } from './events.ts';
import { strings } from './strings.ts';
import { SignIn } from './screens/sign-in.tsx';
import { HistoryScreen } from './screens/history.tsx';
import { reduceScanEvent, ScanScreen, type ScanActions, type ScanView } from './screens/scan.tsx';
import { jobEnded, jobFromApi, type ApiJob } from './grading-job.ts';
import { OperatorsPage, StatusPage, TechniciansOnly } from './screens/tech.tsx';
import { CameraPage } from './screens/camera.tsx';
import { RigPage } from './screens/rig.tsx';
import { TokensPage } from './screens/tokens.tsx';
import { CalibrationPage } from './screens/calibration.tsx';

/** Technician pages, in the order of their tabs. */
const techPages = ['status', 'camera', 'rig', 'calibration', 'operators', 'tokens'] as const;
type TechPage = (typeof techPages)[number];
type Route = 'scan' | 'history' | `tech/${TechPage}`;

function currentRoute(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  if (h === 'history') return h;
  const tech = techPages.find((p) => h === `tech/${p}`);
  return tech ? `tech/${tech}` : 'scan';
}

const techLabels: Record<TechPage, string> = {
  status: strings.nav.status,
  camera: strings.nav.camera,
  rig: strings.nav.rig,
  calibration: strings.nav.calibration,
  operators: strings.nav.operators,
  tokens: strings.nav.tokens,
};

/** The signed-in booth: navigation, live events, and the screen for the route. */
function Booth(props: { session: Session; onSignOut: (notice?: string) => void }) {
  const { session } = props;
  const [route, setRoute] = useState<Route>(currentRoute());
  const [live, setLive] = useState(false);
  const [view, setView] = useState<ScanView>({ scannerState: 'unknown', scannerDetail: '' });

  useEffect(() => {
    const onHash = (): void => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    api<BoothStatus>('GET', '/api/status').then(
      (s) => {
        const scanner = s.hardware.find((d) => d.device === 'scanner');
        if (scanner) setView((v) => ({ ...v, scannerState: scanner.state, scannerDetail: scanner.detail }));
      },
      () => undefined,
    );
    // A grading job already running (the screen was reloaded, or another session started it) is shown too.
    api<{ items: ApiJob[] }>('GET', '/api/jobs?kind=scan-card&state=running&limit=1').then(
      (page) => {
        const running = page.items[0];
        if (running) setView((v) => (v.job ? v : { ...v, job: jobFromApi(running) }));
      },
      () => undefined,
    );
    return subscribeEvents((e) => setView((v) => reduceScanEvent(v, e)), setLive);
  }, []);

  // A job that ended: fetch its record for the result (the events carry the state, not the grade).
  const jobId = view.job?.id;
  const ended = view.job ? jobEnded(view.job.state) : false;
  useEffect(() => {
    if (!jobId || !ended) return;
    api<ApiJob>('GET', `/api/jobs/${jobId}`).then(
      (j) => setView((v) => (v.job?.id === j.id ? { ...v, job: jobFromApi(j) } : v)),
      () => undefined,
    );
  }, [jobId, ended]);

  const actions: ScanActions = {
    confirmFlip: (job) => void api('POST', `/api/jobs/${job.id}/continue`, {}).catch(() => undefined),
    cancel: (job) => void api('POST', `/api/jobs/${job.id}/cancel`, {}).catch(() => undefined),
    next: () => setView((v) => ({ ...v, job: undefined, refused: undefined, rejected: undefined })),
  };

  // Lock after inactivity: the daemon ends idle sessions too; this returns the screen to sign-in in time.
  useEffect(() => {
    let last = Date.now();
    const touch = (): void => {
      last = Date.now();
    };
    window.addEventListener('pointerdown', touch);
    window.addEventListener('keydown', touch);
    const timer = window.setInterval(() => {
      if (Date.now() - last > session.idleTimeoutS * 1000) {
        void api('DELETE', '/api/session').finally(() => props.onSignOut(strings.lock.lockedIdle));
      }
    }, 1000);
    return () => {
      window.removeEventListener('pointerdown', touch);
      window.removeEventListener('keydown', touch);
      clearInterval(timer);
    };
  }, [session]);

  const isTech = session.role === 'technician';
  const go = (r: Route): void => {
    location.hash = `#/${r}`;
  };
  let screen;
  if (route === 'scan') screen = <ScanScreen view={view} live={live} actions={actions} />;
  else if (route === 'history') screen = <HistoryScreen />;
  else if (!isTech) screen = <TechniciansOnly />;
  else if (route === 'tech/status') screen = <StatusPage />;
  else if (route === 'tech/camera') screen = <CameraPage />;
  else if (route === 'tech/rig') screen = <RigPage />;
  else if (route === 'tech/calibration') screen = <CalibrationPage />;
  else if (route === 'tech/tokens') screen = <TokensPage />;
  else screen = <OperatorsPage />;
  const onTech = route.startsWith('tech/');

  return (
    <div class="booth">
      <nav class="topbar">
        <button type="button" class={`tab ${route === 'scan' ? 'on' : ''}`} onClick={() => go('scan')}>{strings.nav.scan}</button>
        <button type="button" class={`tab ${route === 'history' ? 'on' : ''}`} onClick={() => go('history')}>{strings.nav.history}</button>
        {isTech && <button type="button" class={`tab ${onTech ? 'on' : ''}`} onClick={() => go(onTech ? route : 'tech/status')}>{strings.nav.technician}</button>}
        <span class="spacer" />
        <span class="who" data-testid="who">{strings.nav.signedInAs(session.name, session.role)}</span>
        <button type="button" class="tab" onClick={() => void api('DELETE', '/api/session').finally(() => props.onSignOut())}>{strings.nav.signOut}</button>
      </nav>
      {isTech && onTech && (
        <nav class="subbar" data-testid="tech-tabs">
          {techPages.map((p) => (
            <button type="button" class={`tab ${route === `tech/${p}` ? 'on' : ''}`} onClick={() => go(`tech/${p}`)}>{techLabels[p]}</button>
          ))}
        </nav>
      )}
      {screen}
    </div>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    api<Session>('GET', '/api/session').then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return <div class="booth" />;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Booth
      session={session}
      onSignOut={(n) => {
        setNotice(n);
        setSession(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
