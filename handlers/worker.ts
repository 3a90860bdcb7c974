import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { coldStart } from '../src/composition/coldStart';
import { createWorkerHandler } from '../src/composition/workerHandler';

/** SQS → worker: the slow, idempotent work behind the card buttons; reports partial batch failures. */
export const handler: (event: SQSEvent) => Promise<SQSBatchResponse> = coldStart(() =>
  createWorkerHandler()
);
