import { writeFileSync } from 'node:fs';
import { measureAck } from './ack';
import { startStage } from './environment';
import { quietConsole } from './quietConsole';
import { tableAccess, useLocalAws } from './seed';
import { SqsSendMessageServer } from './sqsServer';
import { measureStorm, type StormOptions } from './storm';

/**
 * One in-process scenario (the warm ack path, or the storm) in a process of its own, started by
 * bench/main.ts: a fresh heap, like a Lambda container's, not the benchmark's process after every
 * earlier scenario (some 400 MB of it), with the scenario's baseline measured in the same process.
 * Arguments: the scenario, the run's DynamoDB Local and the scenario's options as JSON, and the file
 * to write its result to.
 */
export type Scenario =
  | { scenario: 'storm'; options: StormOptions }
  | { scenario: 'ack'; options: { requests: number; warmup: number } };

/** A scenario and the run's DynamoDB Local, as the process is given them. */
export type ScenarioInput = Scenario & { endpoint: string; pid: number };

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  throw new Error('usage: scenarioProcess.ts <ScenarioInput as JSON> <result file>');
}
const request = JSON.parse(input) as ScenarioInput;
// The run owns DynamoDB Local: this process only uses it.
const dynamo = { endpoint: request.endpoint, pid: request.pid, stop: async () => undefined };
const sqs = new SqsSendMessageServer();
await sqs.start();
useLocalAws(dynamo.endpoint, sqs);
const quiet = quietConsole();
let result: { consoleLines?: number } | undefined;
try {
  if (request.scenario === 'storm') {
    result = await measureStorm(dynamo, sqs, request.options);
  } else {
    const stage = await startStage(dynamo, sqs, { env: { ISOLATIONS_PER_HOUR: '1000000' } });
    const access = tableAccess(stage);
    try {
      result = await measureAck(stage, access, request.options);
    } finally {
      access.close();
      await stage.close();
    }
  }
} finally {
  const lines = quiet.restore();
  if (result !== undefined) result.consoleLines = lines;
  await sqs.stop();
}
writeFileSync(output, JSON.stringify(result));
