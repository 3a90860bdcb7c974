import { writeFileSync } from 'node:fs';
import { quietConsole } from './quietConsole';
import { useLocalAws } from './seed';
import { SqsSendMessageServer } from './sqsServer';
import { measureStorm, type StormOptions, type StormResult } from './storm';

/**
 * The storm in a process of its own, started by bench/main.ts: a fresh heap, like a Lambda
 * container's, not the benchmark's process after every earlier scenario (some 400 MB of it), with
 * its baseline measured in the same process. Arguments: the run's DynamoDB Local and the
 * storm's options as JSON, and the file to write the {@link StormResult} to.
 */
const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  throw new Error('usage: stormProcess.ts <{"endpoint","pid","options"} as JSON> <result file>');
}
const { endpoint, pid, options } = JSON.parse(input) as {
  endpoint: string;
  pid: number;
  options: StormOptions;
};
const sqs = new SqsSendMessageServer();
await sqs.start();
useLocalAws(endpoint, sqs);
const quiet = quietConsole();
let result: StormResult | undefined;
try {
  // The run owns DynamoDB Local: this process only uses it.
  result = await measureStorm({ endpoint, pid, stop: async () => undefined }, sqs, options);
} finally {
  const lines = quiet.restore();
  if (result !== undefined) result.consoleLines = lines;
  await sqs.stop();
}
writeFileSync(output, JSON.stringify(result));
