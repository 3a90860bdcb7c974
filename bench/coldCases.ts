import type { NotifyHandler } from '../src/composition/notifyHandler';
import type { BuiltBundle } from './bundles';
import type { ChildResult, ColdCase } from './cold';
import {
  type BenchStage,
  buttonEvent,
  findingEvent,
  findingId,
  slashCommandEvent,
} from './environment';
import type { tableAccess } from './seed';
import type { SqsSendMessageServer } from './sqsServer';

type Http = { statusCode?: number; body?: string };
const first = (result: ChildResult): unknown => result.requests[0]?.response;
const httpOk = (result: ChildResult): string | undefined => {
  const response = first(result) as Http | undefined;
  return response?.statusCode === 200
    ? undefined
    : `expected HTTP 200, got ${JSON.stringify(response).slice(0, 300)}`;
};

/** An SQS event carrying one job, as Lambda's event source mapping delivers it. */
const sqsEvent = (job: object) => {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: `bench-${now}`,
        receiptHandle: 'bench-receipt',
        body: JSON.stringify(job),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AIDABENCH',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:guardduty-bot-work',
        awsRegion: 'us-east-1',
      },
    ],
  };
};

/** What the cold cases need from the run. */
export interface ColdCaseDeps {
  stage: BenchStage;
  sqs: SqsSendMessageServer;
  table: ReturnType<typeof tableAccess>;
  /** An in-process notify handler on the same stage, to give findings a posted card. */
  notify: NotifyHandler;
  bundles: Map<string, BuiltBundle>;
}

const bundleFile = (deps: ColdCaseDeps, name: string): string => {
  const bundle = deps.bundles.get(name);
  if (bundle === undefined) throw new Error(`bundle ${name} was not built`);
  return bundle.file;
};

/** `/guardduty help` on a slack-like bundle (the function or one of its variants). */
export const slackHelpCase = (
  name: string,
  group: ColdCase['group'],
  bundle: string
): ColdCase => ({
  name,
  group,
  bundle,
  request: 'signed /guardduty help (then once more, warm)',
  prepare: async () => [slashCommandEvent('help'), slashCommandEvent('help')],
  check: async (result) => {
    const wrong = httpOk(result);
    if (wrong !== undefined) return wrong;
    const body = String((first(result) as Http).body);
    return body.includes('/guardduty finding') ? undefined : `not the help text: ${body}`;
  },
});

/** A new GuardDuty finding on a notify-like bundle: record, audit, post its card. */
export const notifyCase = (name: string, group: ColdCase['group'], bundle: string): ColdCase => ({
  name,
  group,
  bundle,
  request: 'new GuardDuty finding: record, audit, post its card',
  // Each process gets a finding of its own (same path every time: created, own card).
  prepare: async (run) => [
    findingEvent(findingId(`cold${name.replace(/\W/g, '')}`.slice(0, 20), run)),
  ],
  check: async (result) => {
    const response = first(result) as { status?: string; outcome?: string; placement?: string };
    return response?.status === 'processed' &&
      response.outcome === 'created' &&
      response.placement === 'card'
      ? undefined
      : `unexpected notify result ${JSON.stringify(response)}`;
  },
});

/** A Bolt baseline answering a signed button tap, then the same tap again (warm). */
const boltCase = (deps: ColdCaseDeps, name: string, label: string, what: string): ColdCase => ({
  name,
  group: 'baseline',
  bundle: bundleFile(deps, name),
  request: `signed block_actions: ${what} (then once more, warm)`,
  prepare: async (run) => [buttonEvent(findingId(label, run)), buttonEvent(findingId(label, run))],
  check: async (result) => httpOk(result),
});

/** An Isolate tap on a slack-like bundle, each process on a finding of its own (`label`). */
export const isolateCase = (
  deps: ColdCaseDeps,
  name: string,
  group: ColdCase['group'],
  bundle: string,
  label: string
): ColdCase => ({
  name,
  group,
  bundle,
  request:
    'signed block_actions Isolate: read + authorize, one transaction (audit, CAS, quota), SendMessage',
  prepare: async (run) => {
    const id = findingId(label, run);
    await deps.table.saveFindings([id]);
    return [buttonEvent(id)];
  },
  check: async (result, run) => {
    const wrong = httpOk(result);
    if (wrong !== undefined) return wrong;
    const id = findingId(label, run);
    const status = (await deps.table.store.getFinding(id))?.actions.isolation?.status;
    if (status !== 'requested') return `isolation of ${id} is ${status}, not requested`;
    const queued = deps.sqs.messages.some((body) => body.startsWith(`{"id":"isolate:${id}:`));
    return queued ? undefined : `no isolate job for ${id} reached the SQS stand-in`;
  },
});

/**
 * The cold cases: the baselines, each function answering its first real request, with fresh
 * state per run wherever the request changes state.
 */
export const coldCases = (deps: ColdCaseDeps): ColdCase[] => [
  {
    name: 'hello-world',
    group: 'baseline',
    bundle: bundleFile(deps, 'hello-world'),
    request: 'any event',
    prepare: async () => [slashCommandEvent('help')],
    check: async (result) => httpOk(result),
  },
  boltCase(deps, 'bolt-minimal', 'coldbolt', 'ack only'),
  boltCase(deps, 'bolt-minimal-stubbed', 'coldstub', 'ack only'),
  boltCase(deps, 'bolt-dynamo-write', 'colddyn', 'one PutItem, then ack'),
  slackHelpCase('slack /guardduty help', 'function', bundleFile(deps, 'slack')),
  isolateCase(deps, 'slack Isolate tap', 'function', bundleFile(deps, 'slack'), 'coldiso'),
  notifyCase('notify', 'function', bundleFile(deps, 'notify')),
  {
    name: 'worker',
    group: 'function',
    bundle: bundleFile(deps, 'worker'),
    request: 'SQS refresh job: re-render the card (chat.update)',
    prepare: async (run) => {
      const id = findingId('coldworker', run);
      const seeded = await deps.notify(findingEvent(id));
      if (!('placement' in seeded) || seeded.placement !== 'card') {
        throw new Error(`seeding ${id} for the worker did not post a card`);
      }
      await deps.table.bumpVersion(id);
      return [
        sqsEvent({
          id: `refresh:${id}:bench`,
          kind: 'refresh',
          findingId: id,
          requestedBy: { userId: 'U0ALICE', userName: 'alice' },
          requestedAt: new Date().toISOString(),
          reply: { channel: deps.stage.env.SLACK_CHANNEL_ID },
          args: {},
        }),
      ];
    },
    check: async (result, run) => {
      const response = first(result) as { batchItemFailures?: unknown[] };
      if (response?.batchItemFailures?.length !== 0) {
        return `worker reported failures ${JSON.stringify(response)}`;
      }
      const card = await deps.table.store.getCard(`FINDING#${findingId('coldworker', run)}`);
      return card !== undefined && card.renderedVersion === card.version
        ? undefined
        : `the card was not re-rendered: ${JSON.stringify(card)}`;
    },
  },
];

/**
 * The ack path's memory in a process of its own (the slack bundle, as on Lambda): one process
 * answers `taps` accepted Isolate taps, each on a fresh finding, each followed by
 * `/guardduty finding <id>`, and reports its peak RSS. With `leakCheck` the process runs with
 * `--expose-gc` and reports the heap in use after a full collection every `sampleEvery` requests
 * (its peak RSS then means nothing: forced collections lower it).
 */
export const slackWarmMemoryCase = (
  deps: ColdCaseDeps,
  taps: number,
  leakCheck?: { sampleEvery: number }
): ColdCase => {
  const label = leakCheck === undefined ? 'mem' : 'leak';
  const ids = (run: number): string[] =>
    Array.from({ length: taps }, (_, index) => findingId(`${label}${run}x`, index));
  return {
    name: `slack warm: ${taps} Isolate taps + ${taps} commands${leakCheck === undefined ? '' : ', heap after GC'}`,
    group: 'function',
    bundle: bundleFile(deps, 'slack'),
    request: `${taps} × (Isolate tap, /guardduty finding <id>) in one process`,
    ...(leakCheck === undefined
      ? {}
      : { nodeArgs: ['--expose-gc'], heapSampleEvery: leakCheck.sampleEvery }),
    prepare: async (run) => {
      await deps.table.saveFindings(ids(run));
      return ids(run).flatMap((id) => [buttonEvent(id), slashCommandEvent(`finding ${id}`)]);
    },
    check: async (result, run) => {
      if (result.requests.length !== 2 * taps) {
        return `answered ${result.requests.length} of ${2 * taps} requests`;
      }
      const failed = result.requests.find(
        (request) => (request.response as Http | undefined)?.statusCode !== 200
      );
      if (failed !== undefined) return `a request failed: ${JSON.stringify(failed.response)}`;
      const last = ids(run).at(-1) as string;
      const status = (await deps.table.store.getFinding(last))?.actions.isolation?.status;
      return status === 'requested' ? undefined : `isolation of ${last} is ${status}`;
    },
  };
};
