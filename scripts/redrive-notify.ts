/**
 * Re-feeds the events notify gave up on (Slack down, throttled…) from its dead-letter queue:
 *
 *   npm run redrive:notify -- --queue-url <NotifyDeadLetterQueueUrl> --function <notify function name> [--max 100] [--dry-run]
 *
 * Uses the AWS credentials and Region of the shell (AWS_PROFILE / AWS_REGION).
 */
import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redriveNotifyDlq } from '../src/ops/redriveNotifyDlq';

const { values } = parseArgs({
  options: {
    'queue-url': { type: 'string' },
    function: { type: 'string' },
    max: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
});
const queueUrl = values['queue-url'];
const functionName = values.function;
if (!queueUrl || !functionName) {
  console.error(
    'usage: npm run redrive:notify -- --queue-url <url> --function <name> [--max N] [--dry-run]'
  );
  process.exit(2);
}
const summary = await redriveNotifyDlq(
  { sqs: new SQSClient({}), lambda: new LambdaClient({}) },
  {
    queueUrl,
    functionName,
    max: values.max === undefined ? 100 : Number(values.max),
    dryRun: values['dry-run'] ?? false,
    log: (line) => console.log(line),
  }
);
console.log(
  `redriven ${summary.redriven}, failed again ${summary.failed.length}, skipped ${summary.skipped.length}`
);
process.exitCode = summary.failed.length > 0 ? 1 : 0;
