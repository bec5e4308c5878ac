/**
 * Fleet topic names. A booth owns `<prefix>/<boothId>/…`; the outbox stores topics relative to that root
 * (`results`, `telemetry`, `datasets/<sha256>/chunks/3`), so a booth renamed or moved to another prefix
 * sends what it queued under its current name. docs/fleet.md lists every topic with its payload schema.
 */
export interface BoothTopics {
  root: string;
  status: string;
  results: string;
  telemetry: string;
  /** Requests from the fleet: `commands/<name>` (MQTT v5 response topic + correlation data). */
  commands: string;
  commandsFilter: string;
  modelsState: string;
  /** Model rollout offers addressed to this booth, and to every booth. */
  modelsOffer: string;
  modelsOfferAll: string;
  /** Booth → fleet dataset transfer; the fleet answers on `datasets/have` which chunks it already holds. */
  datasetsFilter: string;
}

export function boothTopics(prefix: string, boothId: string): BoothTopics {
  const root = `${prefix}/${boothId}`;
  return {
    root,
    status: `${root}/status`,
    results: `${root}/results`,
    telemetry: `${root}/telemetry`,
    commands: `${root}/commands`,
    commandsFilter: `${root}/commands/+`,
    modelsState: `${root}/models/state`,
    modelsOffer: `${root}/models/offer`,
    modelsOfferAll: `${prefix}/_all/models/offer`,
    datasetsFilter: `${root}/datasets/#`,
  };
}

/** Relative outbox topics (below the booth's root). */
export const outboxTopics = {
  results: 'results',
  telemetry: 'telemetry',
  modelsState: 'models/state',
  datasetManifest: (datasetSha256: string): string => `datasets/${datasetSha256}/manifest`,
  datasetChunk: (chunkSha256: string): string => `datasets/chunks/${chunkSha256}`,
} as const;

/** A booth id out of a topic under the prefix: `gradebooth/v1/b-1/results` → `b-1`. */
export function boothIdOf(prefix: string, topic: string): string | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const id = topic.slice(prefix.length + 1).split('/')[0];
  return id === '' || id === '_all' ? undefined : id;
}

/** Booth ids are topic levels: no wildcards, separators or NUL. */
export const boothIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** MQTT topic filter matching: `+` one level, `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
