export interface BoothEvent {
  id: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/**
 * The daemon's live events over the websocket (the session cookie authenticates it); reconnects after a
 * drop. Returns a function that closes it for good.
 */
export function subscribeEvents(onEvent: (e: BoothEvent) => void, onState: (live: boolean) => void): () => void {
  let ws: WebSocket | undefined;
  let closed = false;
  let retry: number | undefined;
  const open = (): void => {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`);
    ws.onopen = () => onState(true);
    ws.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as BoothEvent;
      if (e.type !== 'hello') onEvent(e);
    };
    ws.onclose = () => {
      onState(false);
      if (!closed) retry = window.setTimeout(open, 1000);
    };
  };
  open();
  return () => {
    closed = true;
    if (retry !== undefined) clearTimeout(retry);
    ws?.close();
  };
}
