// The child process of the cold-init benchmark: plain JavaScript, so that nothing but Node itself
// and the bundle under test is loaded (no tsx, no loader hooks). It imports one bundled handler,
// hands it the requests of its job file in order, and prints one result line, then exits.
//
// usage: node bench/coldRunner.mjs <job.json>
// job: { bundle: string, requests: { event: unknown }[], heapSampleEvery?: number }
// With heapSampleEvery > 0 (and node --expose-gc) it collects garbage every that many requests and
// records the heap still in use: what a leak would make grow.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Prefix of the result line on stdout (handlers may log on stdout too). */
const MARKER = '@@BENCH_RESULT@@';

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
const context = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '1024',
  awsRequestId: 'bench-request',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Time since the process started (Node's own boot), before anything of the bundle runs. */
const bootMs = performance.now();
const loadStarted = performance.now();
const module = await import(pathToFileURL(job.bundle).href);
const loadMs = performance.now() - loadStarted;

const requests = [];
const heapAfterGc = [];
const sampleEvery = typeof globalThis.gc === 'function' ? (job.heapSampleEvery ?? 0) : 0;
let error;
for (const request of job.requests) {
  const started = performance.now();
  try {
    const response = await module.handler(request.event, context);
    const ms = performance.now() - started;
    // Past the first two answers only the status is kept: a long run must not measure its own
    // memory (a /guardduty finding answer is a whole card).
    requests.push({
      ms,
      response: requests.length < 2 ? response : { statusCode: response?.statusCode },
    });
  } catch (caught) {
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    break;
  }
  if (sampleEvery > 0 && requests.length % sampleEvery === 0) {
    globalThis.gc();
    globalThis.gc();
    heapAfterGc.push({ requests: requests.length, bytes: process.memoryUsage().heapUsed });
  }
}

const result = {
  bootMs,
  loadMs,
  requests,
  error,
  ...(sampleEvery > 0 ? { heapAfterGc } : {}),
  rssBytes: process.memoryUsage().rss,
  // Peak resident set size of this process (Linux reports kilobytes).
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`\n${MARKER}${JSON.stringify(result)}\n`, () => process.exit(0));
