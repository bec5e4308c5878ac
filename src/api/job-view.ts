import { jobKinds, jobStates, type JobRecord } from '../storage/jobs.ts';

/** A job as the API shows it: the record, plus what it waits for if a person must act. */
export interface JobView extends JobRecord {
  waitingFor: string | null;
}

export const jobSchema = {
  $id: 'Job',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'state', 'stage', 'progress', 'message', 'cardId', 'params', 'result', 'cancelRequested', 'error', 'waitingFor', 'requestedBy', 'createdAt', 'updatedAt', 'startedAt', 'finishedAt'],
  properties: {
    id: { type: 'string' },
    kind: { enum: jobKinds },
    state: { enum: jobStates },
    stage: { type: ['string', 'null'], description: 'the stage running now, or the last one that ran' },
    progress: { type: 'number', minimum: 0, maximum: 1 },
    message: { type: ['string', 'null'] },
    cardId: { type: ['integer', 'null'] },
    params: { type: 'object', additionalProperties: true },
    result: { type: ['object', 'null'], additionalProperties: true },
    cancelRequested: { type: 'boolean' },
    error: { type: ['object', 'null'], additionalProperties: false, required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    waitingFor: { type: ['string', 'null'], description: 'the manual step to confirm with POST /api/jobs/{id}/continue' },
    requestedBy: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    startedAt: { type: ['string', 'null'] },
    finishedAt: { type: ['string', 'null'] },
  },
} as const;
