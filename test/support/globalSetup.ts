import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from './dynamoLocal';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the DynamoDB Local shared by the whole run (`inject('dynamoEndpoint')`). */
    dynamoEndpoint: string;
  }
}

/**
 * Vitest global setup: starts one DynamoDB Local for the whole run and provides its endpoint as
 * `dynamoEndpoint`. Each test file creates its own uniquely named table with `createTable`.
 * The returned function stops the process when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
