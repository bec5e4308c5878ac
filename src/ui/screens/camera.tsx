import { useEffect, useRef, useState } from 'preact/hooks';
import { strings } from '../strings.ts';

/**
 * The technician's camera live view: one preview capture at a time (GET /api/camera/preview, technician
 * session), the next a second after the last arrived, so the booth is never asked faster than it
 * captures. While a job holds the booth the API answers 409 and the page shows why and keeps trying.
 */
export function CameraPage() {
  const [led, setLed] = useState(0);
  const [running, setRunning] = useState(true);
  const [image, setImage] = useState<string | undefined>();
  const [facts, setFacts] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const ledRef = useRef(led);
  ledRef.current = led;

  useEffect(() => {
    if (!running) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let url: string | undefined;
    const next = async (): Promise<void> => {
      let delayMs = 1000;
      try {
        const res = await fetch(`/api/camera/preview?led=${ledRef.current}`, { credentials: 'same-origin' });
        if (res.ok) {
          const blob = await res.blob();
          if (stopped) return;
          if (url) URL.revokeObjectURL(url);
          url = URL.createObjectURL(blob);
          setImage(url);
          setFacts(strings.tech.cameraFrame(res.headers.get('x-preview-frame') ?? '?', res.headers.get('x-preview-binning') ?? '?', (100 * Number(res.headers.get('x-preview-saturated') ?? 0)).toFixed(2)));
          setMessage(undefined);
        } else {
          const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
          setMessage(`${data.code ?? res.status}: ${data.message ?? res.statusText}`);
          delayMs = 2000;
        }
      } catch (err) {
        setMessage(String(err));
        delayMs = 2000;
      }
      if (!stopped) timer = setTimeout(() => void next(), delayMs);
    };
    void next();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [running]);

  return (
    <main class="tech" data-testid="camera-page">
      <div class="tech-head">
        <h1>{strings.tech.cameraTitle}</h1>
        <button type="button" class="big" onClick={() => setLed((l) => (l + 23) % 24)}>−</button>
        <span class="led" data-testid="camera-led">{strings.tech.cameraLed(led)}</span>
        <button type="button" class="big" onClick={() => setLed((l) => (l + 1) % 24)}>+</button>
        <button type="button" class="big" data-testid="camera-toggle" onClick={() => setRunning((r) => !r)}>{running ? strings.tech.cameraStop : strings.tech.cameraStart}</button>
      </div>
      <p class="hint">{strings.tech.cameraHint}</p>
      {message && <p class="error" data-testid="camera-message">{message}</p>}
      {image && <img class="preview" data-testid="camera-preview" src={image} alt={strings.tech.cameraTitle} />}
      {facts && <p class="hint" data-testid="camera-facts">{facts}</p>}
    </main>
  );
}
