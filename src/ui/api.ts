/** An API error as the daemon sends it: a stable GB_ code and a message that says what to do. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the daemon's API with the session cookie (same origin); JSON in, JSON out; throws ApiError. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'GB_NETWORK', 'network');
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!res.ok) throw new ApiError(res.status, data.code ?? 'GB_INTERNAL', data.message ?? res.statusText);
  return data as T;
}

export interface Session {
  name: string;
  role: 'operator' | 'technician' | 'fleet';
  idleTimeoutS: number;
}

export interface DeviceStatus {
  device: string;
  kind: string;
  state: string;
  detail: string;
}

export interface BoothStatus {
  status: string;
  problems: string[];
  boothId: string;
  versions: { gradebooth: string; schema: number };
  uptimeS: number;
  hardware: DeviceStatus[];
  disk: { freeBytes: number; totalBytes: number };
}

export interface Operator {
  id: string;
  name: string;
  role: 'operator' | 'technician';
  createdAt: string;
  /** When a technician disabled them; null = enabled. */
  disabledAt: string | null;
}

export interface ApiToken {
  id: string;
  name: string;
  role: 'operator' | 'technician' | 'fleet';
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

export interface RigReading {
  state: string;
  firmwareVersion: string | null;
  protocolVersion: number | null;
  serial: string | null;
  bootId: number | null;
  channels: number;
  rig: { state: string; tempC: number | null; adcRaw: number; tempLimitC: number; maxOnMs: number; hostTimeoutMs: number; levels: number[]; blanked: boolean } | null;
  statusError: { code: string; message: string } | null;
  faults: string[];
  lit: { led: number; level: number; offAt: string } | null;
  counters: Record<string, number>;
  rtoMs: number;
  srttMs: number | null;
  at: string;
}

export interface FigureCheck {
  figure: string;
  label: string;
  unit: string;
  op: '<=' | '>=' | 'abs<=';
  limit: number;
}

export interface CalibrationGuide {
  steps: Array<{ id: string; instruction: string; target: string; feeds: string[] }>;
  procedures: Array<{ procedure: string; steps: string[]; checks: FigureCheck[]; validForS: number; neededToScan: boolean }>;
}

export interface CalibrationRecordView {
  id: string;
  version: number;
  passed: boolean;
  createdAt: string;
  expiresAt: string;
  createdBy: string | null;
  figures: Record<string, unknown>;
}

export interface CalibrationCurrent {
  readyToScan: boolean;
  message: string;
  procedures: Array<{
    procedure: string;
    state: 'valid' | 'expired' | 'failed' | 'missing';
    neededToScan: boolean;
    expiresAt: string | null;
    valid: CalibrationRecordView | null;
    latest: CalibrationRecordView | null;
    message: string;
    checks: Array<FigureCheck & { value: number | null; passed: boolean }>;
  }>;
}
