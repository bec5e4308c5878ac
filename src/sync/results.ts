import type { Db } from '../storage/database.ts';
import { enqueueOutbox, outboxPriority } from '../storage/outbox.ts';
import { assertPayload, resultPayloadSchema, type ResultPayload } from './payloads.ts';
import { outboxTopics } from './topics.ts';

export type ResultInput = Omit<ResultPayload, 'schema' | 'messageId'> & { messageId?: string };

/**
 * The message id of a result: deterministic, so the grade stage re-run after a crash enqueues the same
 * message (a no-op in the outbox) and the fleet de-duplicates a resend.
 */
export function resultMessageId(r: Pick<ResultPayload, 'kind' | 'gradeId' | 'scanId' | 'jobId' | 'barcode' | 'side'>): string {
  const anchor = r.gradeId ?? r.scanId ?? r.jobId ?? r.barcode;
  return `result:${r.kind}:${anchor}${r.kind === 'side' ? `:${r.side ?? '-'}` : ''}`;
}

/**
 * Queue one result for the fleet (`results`, QoS 1, highest priority). Call it inside the transaction
 * that writes the grade, so the grade and its announcement commit together. Throws GB_VALIDATION for a
 * result that does not match the published schema.
 */
export function enqueueResult(db: Db, input: ResultInput, now = new Date()): { id: number; messageId: string; inserted: boolean } {
  const messageId = input.messageId ?? resultMessageId(input);
  const payload = assertPayload<ResultPayload>(resultPayloadSchema.$id, { schema: 'gradebooth.result.v1', ...input, messageId }, 'result');
  return enqueueOutbox(db, { topic: outboxTopics.results, payload, qos: 1, priority: outboxPriority.result, kind: 'result', messageId }, now);
}
