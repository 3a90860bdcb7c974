import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createNotifyHandler } from '../src/composition/notifyHandler';
import { loadConfig } from '../src/config';
import type { DynamoLocal } from '../test/support/dynamoLocal';
import type { AckResult } from './ack';
import {
  BASELINE_TARGETS,
  type BuiltBundle,
  buildBundle,
  contributors,
  FUNCTION_TARGETS,
  importChain,
  shortPath,
} from './bundles';
import { type ColdSample, measureColdStarts, profileColdFunctions } from './cold';
import {
  type ColdCaseDeps,
  coldCases,
  isolateCase,
  notifyCase,
  slackHelpCase,
  slackWarmMemoryCase,
} from './coldCases';
import type { CpuSpent } from './cpu';
import { type BenchStage, startBenchDynamo, startStage } from './environment';
import { productionSettings, REPO_ROOT } from './esbuildSettings';
import { type BenchOptions, parseOptions } from './options';
import { measureReport, type ReportResult } from './report';
import type { Scenario, ScenarioInput } from './scenarioProcess';
import { tableAccess, useLocalAws, warmDynamo } from './seed';
import { SqsSendMessageServer } from './sqsServer';
import { bytes, ms, ratio, type Summary, summarize } from './stats';
import { STORM_RATE_LIMITS, type StormResult } from './storm';
import { table, verdict } from './table';
import { NOTIFY_VARIANTS, SLACK_VARIANTS } from './variants';

/**
 * The benchmark (issue 6): bundle sizes, cold init, warm ack latency, a GuardDuty storm, peak
 * memory and the after-action report, each against a baseline measured in the same run. Prints
 * tables on stdout (progress on stderr) and writes the figures as JSON.
 */

interface Target {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
}

const progress = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};
const print = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};
const heading = (text: string): void => {
  print();
  print(`== ${text} ==`);
};

const machine = () => ({
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
});

/**
 * Runs an in-process scenario in a fresh process (bench/scenarioProcess.ts) against the run's
 * DynamoDB Local, and returns its result. With `cpuProfDir` the process writes a V8 CPU profile
 * into `cpuProfDir/<scenario>/` (its figures are then for reading the profile only).
 */
const measureInOwnProcess = async <T>(
  dynamo: DynamoLocal,
  scenario: Scenario,
  workDir: string,
  cpuProfDir: string | undefined
): Promise<T> => {
  const input: ScenarioInput = { ...scenario, endpoint: dynamo.endpoint, pid: dynamo.pid };
  const output = join(workDir, `${input.scenario}.json`);
  const profile =
    cpuProfDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProfDir, input.scenario)}`];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'scenarioProcess.ts'),
      JSON.stringify(input),
      output,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] }
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the ${input.scenario} scenario's process exited with ${code}`);
  return JSON.parse(readFileSync(output, 'utf8')) as T;
};

const main = async (options: BenchOptions): Promise<void> => {
  const runStarted = performance.now();
  const targets: Target[] = [];
  const results: Record<string, unknown> = { machine: machine(), options: { ...options } };
  (results.options as Record<string, unknown>).only = [...options.only];
  const info = results.machine as ReturnType<typeof machine>;
  print(
    `GuardDuty Slack responder benchmark — ${new Date().toISOString()}${options.quick ? ' (--quick: small counts, smoke run only)' : ''}`
  );
  print(
    `machine: ${info.nproc} CPUs (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.platform}; load average at start ${info.loadAverageAtStart.join(' / ')}`
  );
  print(
    'Every figure is compared with a baseline measured in this run (absolute times drift on shared machines).'
  );

  // ------------------------------------------------------------------------------------------
  // 1. Bundles
  // ------------------------------------------------------------------------------------------
  const settings = productionSettings();
  results.settings = { runtime: settings.runtime, customEsbuild: settings.yaml };
  const workDir = mkdtempSync(join(tmpdir(), 'gd-bench-'));
  const bundles = new Map<string, BuiltBundle>();
  let dynamo: DynamoLocal | undefined;
  const sqs = new SqsSendMessageServer();
  const stages: BenchStage[] = [];
  try {
    const targetsToBuild = [
      ...FUNCTION_TARGETS,
      ...BASELINE_TARGETS,
      ...(options.variants ? [...SLACK_VARIANTS, ...NOTIFY_VARIANTS] : []),
    ];
    progress(`building ${targetsToBuild.length} bundles with serverless.yml's esbuild settings`);
    for (const target of targetsToBuild) {
      bundles.set(
        target.name,
        await buildBundle(settings, target, workDir, options.cpuProfDir !== undefined)
      );
    }
    const get = (name: string): BuiltBundle => bundles.get(name) as BuiltBundle;
    const hello = get('hello-world');
    const bolt = get('bolt-minimal');

    heading('1. Bundle size (production build: esbuild settings read from serverless.yml)');
    print(
      `settings: custom.esbuild ${JSON.stringify(settings.yaml)} + runtime ${settings.runtime}, applied as serverless-esbuild 1.57 does`
    );
    print(
      table([
        ['bundle', 'kind', 'bytes', 'gzip', '× hello-world', '× bolt-minimal', 'note'],
        ...[...bundles.values()].map((bundle) => [
          bundle.target.name,
          bundle.target.kind,
          bytes(bundle.bytes),
          bytes(bundle.gzipBytes),
          ratio(bundle.bytes, hello.bytes),
          ratio(bundle.bytes, bolt.bytes),
          bundle.target.description ?? '',
        ]),
      ])
    );
    results.bundles = [...bundles.values()].map((bundle) => ({
      name: bundle.target.name,
      kind: bundle.target.kind,
      entry: bundle.target.entry,
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      buildMs: Math.round(bundle.buildMs),
      vsHelloWorld: bundle.bytes / hello.bytes,
      vsBoltMinimal: bundle.bytes / bolt.bytes,
    }));

    if (options.analyze) printAnalysis(get('slack'), bundles);

    const needsInfra = ['cold', 'ack', 'storm', 'report'].some((name) =>
      options.only.has(name as never)
    );
    if (needsInfra) {
      progress('starting DynamoDB Local and the SQS stand-in (loopback only)');
      dynamo = await startBenchDynamo();
      await sqs.start();
      useLocalAws(dynamo.endpoint, sqs);
      const warm = await startStage(dynamo, sqs);
      stages.push(warm);
      progress('warming DynamoDB Local (JIT) before measuring');
      await warmDynamo(warm, options.quick ? 300 : 2000);
    }

    // ----------------------------------------------------------------------------------------
    // 2. Cold init
    // ----------------------------------------------------------------------------------------
    let coldSamples: Map<string, ColdSample[]> | undefined;
    let ackProcessRss: { name: string; bytes: number } | undefined;
    let heapAfterGc: { requests: number; bytes: number }[] | undefined;
    if (options.only.has('cold') && dynamo !== undefined) {
      const stage = await startStage(dynamo, sqs, {
        env: {
          LOG_LEVEL: 'INFO',
          // Every cold notify posts its own card (same path each run), the worker's refresh does
          // not wait for an edit window, and the hourly isolation cap never refuses a tap.
          POST_BUDGET_BURST: '100000',
          CARD_UPDATE_INTERVAL_SECONDS: '0',
          ISOLATIONS_PER_HOUR: '100000',
        },
      });
      stages.push(stage);
      const access = tableAccess(stage);
      const notify = await createNotifyHandler(loadConfig({ ...stage.env, LOG_LEVEL: 'ERROR' }));
      const caseDeps: ColdCaseDeps = { stage, sqs, table: access, notify, bundles };
      const cases = [
        ...coldCases(caseDeps),
        ...(options.variants
          ? [
              ...SLACK_VARIANTS.map((variant) =>
                slackHelpCase(`${variant.name} help`, 'variant', get(variant.name).file)
              ),
              ...SLACK_VARIANTS.map((variant, index) =>
                isolateCase(
                  caseDeps,
                  `${variant.name} Isolate tap`,
                  'variant',
                  get(variant.name).file,
                  `coldisov${index}`
                )
              ),
              ...NOTIFY_VARIANTS.map((variant) =>
                notifyCase(variant.name, 'variant', get(variant.name).file)
              ),
            ]
          : []),
      ];
      if (options.cpuProfDir !== undefined) profileColdFunctions(cases, options.cpuProfDir);
      progress(
        `cold init: ${cases.length} cases × ${options.coldRuns} fresh processes (+1 unmeasured round)`
      );
      coldSamples = await measureColdStarts(cases, options.coldRuns, stage.env, workDir, progress);
      printCold(cases, coldSamples, options.coldRuns, targets, results);
      const taps = options.quick ? 20 : 200;
      progress(
        `ack path memory: the slack bundle answering ${2 * taps} requests in its own process`
      );
      const warm = await measureColdStarts(
        [slackWarmMemoryCase(caseDeps, taps)],
        1,
        stage.env,
        workDir,
        progress
      );
      for (const [name, samples] of warm) coldSamples.set(name, samples);
      ackProcessRss = {
        name: [...warm.keys()][0] as string,
        bytes: warm.values().next().value?.[0]?.maxRssBytes ?? Number.NaN,
      };
      // Long enough for V8 to finish compiling the paths the requests take (about 1,000
      // requests), so that what is still growing at the end would be kept data.
      const leakTaps = options.quick ? 20 : 600;
      progress(`ack path leak check: ${2 * leakTaps} requests with a full collection every 10%`);
      const leak = await measureColdStarts(
        [
          slackWarmMemoryCase(caseDeps, leakTaps, {
            sampleEvery: Math.max(2, Math.floor((2 * leakTaps) / 10)),
          }),
        ],
        1,
        stage.env,
        workDir,
        progress
      );
      heapAfterGc = leak.values().next().value?.[0]?.heapAfterGc;
      access.close();
    }

    // ----------------------------------------------------------------------------------------
    // 3. Ack latency, 6. Report
    // ----------------------------------------------------------------------------------------
    let ack: AckResult | undefined;
    let report: ReportResult | undefined;
    if (options.only.has('ack') && dynamo !== undefined) {
      progress(`ack latency: ${options.ackRequests} rounds (+${options.ackWarmup} warm-up)`);
      ack = await measureInOwnProcess<AckResult>(
        dynamo,
        {
          scenario: 'ack',
          options: { requests: options.ackRequests, warmup: options.ackWarmup },
        },
        workDir,
        options.cpuProfDir
      );
      results.ackConsoleLines = ack.consoleLines;
      printAck(ack, targets, results);
    }
    if (options.only.has('report') && dynamo !== undefined) {
      const stage = await startStage(dynamo, sqs);
      stages.push(stage);
      const access = tableAccess(stage);
      progress(`report: ${options.reportEntries} audit entries`);
      report = await measureReport(access, {
        entries: options.reportEntries,
        repetitions: options.reportRepetitions,
      });
      printReport(report, results);
      access.close();
    }

    // ----------------------------------------------------------------------------------------
    // 4. Storm
    // ----------------------------------------------------------------------------------------
    let storm: StormResult | undefined;
    if (options.only.has('storm') && dynamo !== undefined) {
      progress(
        `storm: ${options.stormFindings} findings + ${options.stormUpdates} updates, concurrency ${options.stormConcurrency}`
      );
      storm = await measureInOwnProcess<StormResult>(
        dynamo,
        {
          scenario: 'storm',
          options: {
            findings: options.stormFindings,
            updates: options.stormUpdates,
            concurrency: options.stormConcurrency,
            cardIntervalSeconds: options.cardIntervalSeconds,
            slackRetries: options.slackRetries,
            highEvery: options.stormHighEvery,
            maxAttempts: 3,
            workers: 2,
            catchUpLimitMs: 600_000,
          },
        },
        workDir,
        options.cpuProfDir
      );
      printStorm(storm, targets, results);
    }

    // ----------------------------------------------------------------------------------------
    // 5. Memory
    // ----------------------------------------------------------------------------------------
    printMemory(coldSamples, ackProcessRss, heapAfterGc, ack, storm, report, targets, results);

    heading('Targets');
    print(
      table([
        ['target', 'measured', 'limit', 'result'],
        ...targets.map((target) => [
          target.name,
          target.measured,
          target.limit,
          verdict(target.pass),
        ]),
      ])
    );
    results.targets = targets;
    const elapsedSeconds = (performance.now() - runStarted) / 1000;
    results.elapsedSeconds = elapsedSeconds;
    results.loadAverageAtEnd = loadavg().map((value) => Number(value.toFixed(2)));
    print();
    print(
      `run time ${elapsedSeconds.toFixed(0)} s; load average at end ${(results.loadAverageAtEnd as number[]).join(' / ')}`
    );
    const out = resolve(REPO_ROOT, options.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    print(`results written to ${out}`);
  } finally {
    for (const stage of stages) await stage.close().catch(() => undefined);
    await sqs.stop().catch(() => undefined);
    await dynamo?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const printAnalysis = (slack: BuiltBundle, bundles: Map<string, BuiltBundle>): void => {
  heading('--analyze: what the slack bundle is made of (esbuild metafile, bytes in the output)');
  const rows = contributors(slack.metafile).slice(0, 25);
  print(
    table([
      ['package / folder', 'bytes', 'share', 'files', 'first import chain (entry → … → package)'],
      ...rows.map((row) => [
        row.name,
        bytes(row.bytes),
        `${((row.bytes / slack.bytes) * 100).toFixed(1)} %`,
        String(row.files),
        row.name.startsWith('ours:')
          ? ''
          : importChain(slack.metafile, row.name).map(shortPath).slice(-4).join(' → '),
      ]),
    ])
  );
  const receivers = contributors(slack.metafile).filter((row) =>
    importChain(slack.metafile, row.name).some((path) =>
      /@slack\/bolt\/dist\/receivers\/(ExpressReceiver|HTTPReceiver|SocketModeReceiver|HTTPModuleFunctions)\.js$/.test(
        path
      )
    )
  );
  print(
    `First reached through Bolt's Express / HTTP / Socket Mode receivers (never constructed with AwsLambdaReceiver): ${bytes(receivers.reduce((sum, row) => sum + row.bytes, 0))} of ${bytes(slack.bytes)} (${receivers
      .slice(0, 8)
      .map((row) => row.name)
      .join(', ')}, …).`
  );
  const variants = [...bundles.values()].filter((bundle) => bundle.target.kind === 'variant');
  if (variants.length > 0) {
    print(
      table([
        ['variant (not deployed)', 'bytes', 'vs its function', 'change it mimics'],
        ...variants.map((variant) => {
          const base = bundles.get(variant.target.name.split('-')[0] as string);
          return [
            variant.target.name,
            bytes(variant.bytes),
            base === undefined ? '-' : ratio(variant.bytes, base.bytes),
            variant.target.description ?? '',
          ];
        }),
      ])
    );
  }
};

const printCold = (
  cases: { name: string; group: string; request: string }[],
  samples: Map<string, ColdSample[]>,
  runs: number,
  targets: Target[],
  results: Record<string, unknown>
): void => {
  const init = (name: string): Summary => summarize((samples.get(name) ?? []).map((s) => s.initMs));
  const hello = init('hello-world');
  const bolt = init('bolt-minimal');
  const stubbed = init('bolt-minimal-stubbed');
  heading(
    `2. Cold init: import the bundle + answer the first request, each in a fresh Node process (${runs} per case, interleaved)`
  );
  print(
    'SQS in the child processes: a loopback stand-in that answers SendMessage in the AWS JSON protocol (bench/sqsServer.ts); DynamoDB Local and the loopback Slack server for the rest. LOG_LEVEL=INFO as deployed.'
  );
  const rows = cases.map((coldCase) => {
    const list = samples.get(coldCase.name) ?? [];
    const total = init(coldCase.name);
    const load = summarize(list.map((sample) => sample.loadMs));
    const firstRequest = summarize(list.map((sample) => sample.firstRequestMs));
    const second = summarize(
      list.map((sample) => sample.secondRequestMs).filter((value) => !Number.isNaN(value))
    );
    const wall = summarize(list.map((sample) => sample.wallMs));
    return { coldCase, total, load, firstRequest, second, wall };
  });
  print(
    table([
      [
        'case',
        'init median',
        'init p90',
        'load median',
        '1st request median',
        '2nd (warm) median',
        'spawn→exit median',
        '× hello-world',
        '× bolt-minimal',
        '× bolt-minimal-stubbed',
        'first request',
      ],
      ...rows.map(({ coldCase, total, load, firstRequest, second, wall }) => [
        `${coldCase.name}${coldCase.group === 'variant' ? ' (variant)' : ''}`,
        ms(total.median),
        ms(total.p90),
        ms(load.median),
        ms(firstRequest.median),
        ms(second.median),
        ms(wall.median),
        ratio(total.median, hello.median),
        ratio(total.median, bolt.median),
        ratio(total.median, stubbed.median),
        coldCase.request,
      ]),
    ])
  );
  print(
    "The targets compare with bolt-minimal as Slack's Lambda guide builds it (all of Bolt, the production esbuild settings): keeping Bolt's unused receivers out of our bundle is what the issue asks of us, so the baseline keeps them. bolt-minimal-stubbed applies our alias to it too: the stricter comparison, printed as context."
  );
  const floor = init('bolt-dynamo-write');
  if (floor.count > 0) {
    print(
      `bolt-minimal-stubbed answers without any I/O. Every request of ours records something first; bolt-dynamo-write (the same app writing one DynamoDB item before it acknowledges) shows what that alone costs: ${ms(floor.median)} = ${ratio(floor.median, stubbed.median)} bolt-minimal-stubbed. Our functions against that floor: ${rows
        .filter(({ coldCase }) => coldCase.group === 'function')
        .map(({ coldCase, total }) => `${coldCase.name} ${ratio(total.median, floor.median)}`)
        .join(', ')}.`
    );
  }
  for (const name of ['slack /guardduty help', 'slack Isolate tap']) {
    const value = init(name);
    if (value.count === 0) continue;
    targets.push({
      name: `cold init ${name} ≤ 1.0× bolt-minimal (median)`,
      measured: `${ms(value.median)} = ${ratio(value.median, bolt.median)} (${ratio(value.median, stubbed.median)} stubbed)`,
      limit: `≤ ${ms(bolt.median)}`,
      pass: value.median <= bolt.median,
    });
  }
  const notify = init('notify');
  if (notify.count > 0) {
    targets.push({
      name: 'cold init notify ≤ 1.5× bolt-minimal (median)',
      measured: `${ms(notify.median)} = ${ratio(notify.median, bolt.median)} (${ratio(notify.median, stubbed.median)} stubbed)`,
      limit: `≤ ${ms(1.5 * bolt.median)}`,
      pass: notify.median <= 1.5 * bolt.median,
    });
  }
  results.cold = Object.fromEntries(
    rows.map(({ coldCase, total, load, firstRequest, second, wall }) => [
      coldCase.name,
      {
        group: coldCase.group,
        request: coldCase.request,
        initMs: total,
        loadMs: load,
        firstRequestMs: firstRequest,
        secondRequestMs: second,
        spawnToExitMs: wall,
        maxRssBytes: summarize((samples.get(coldCase.name) ?? []).map((s) => s.maxRssBytes)),
        vsHelloWorld: total.median / hello.median,
        vsBoltMinimal: total.median / bolt.median,
        samples: samples.get(coldCase.name),
      },
    ])
  );
};

const printAck = (ack: AckResult, targets: Target[], results: Record<string, unknown>): void => {
  heading(
    `3. Ack latency, warm, in-process through the real createSlackHandler (${ack.requests} each, interleaved)`
  );
  print(
    `SQS: captured by aws-sdk-client-mock (${ack.enqueued} isolate jobs captured, one per tap); DynamoDB Local; users.info from the loopback Slack server (cached after the first tap). The handler, the requests and the PutItem baseline share a fresh process of their own, not the benchmark's process after the earlier scenarios.`
  );
  print(
    'Each Isolate tap is on a finding never tapped before: the read and the authorization at once, then one transaction (audit entry, compare-and-set to requested, hourly quota), then the enqueue.'
  );
  const row = (name: string, summary: Summary): string[] => [
    name,
    ms(summary.median),
    ms(summary.p99),
    ms(summary.max),
    ratio(summary.median, ack.putItem.median),
    ratio(summary.p99, ack.putItem.p99),
  ];
  print(
    table([
      ['request', 'median', 'p99', 'max', '× PutItem median', '× PutItem p99'],
      row('block_actions Isolate (accepted)', ack.isolate),
      row('/guardduty finding <id>', ack.command),
      row('baseline: one conditional PutItem', ack.putItem),
      row('reference: GetItem + 1 TransactWriteItems (4 writes)', ack.floor),
    ])
  );
  for (const [name, summary] of [
    ['Isolate tap', ack.isolate],
    ['slash command', ack.command],
  ] as const) {
    targets.push({
      name: `ack p99 ${name} ≤ 3× PutItem p99`,
      measured: `${ms(summary.p99)} = ${ratio(summary.p99, ack.putItem.p99)}`,
      limit: `≤ ${ms(3 * ack.putItem.p99)}`,
      pass: summary.p99 <= 3 * ack.putItem.p99,
    });
  }
  results.ack = ack;
};

/** The DynamoDB requests the storm's notify instances made, all kinds together. */
const notifyRequests = (storm: StormResult): number =>
  Object.values(storm.dynamoRequests.notify ?? {}).reduce((sum, count) => sum + count, 0);

/**
 * Where the storm's CPU goes: per baseline PutItem and per delivery, in this process and in
 * DynamoDB Local (the two share the machine's cores). The ratio to the raw write rate is about the
 * ratio of these costs, times how much less busy the two sides are during the storm.
 */
const stormCpuRows = (storm: StormResult): string[][] => {
  const { baseline, deliveries } = storm.cpu;
  const per = (value: number | undefined, count: number): string =>
    value === undefined ? '-' : `${(value / Math.max(1, count)).toFixed(2)} ms`;
  const busy = (spent: CpuSpent): string =>
    [spent.ownMs, spent.dynamoMs]
      .map((value) =>
        value === undefined ? '-' : `${((100 * value) / spent.wallMs).toFixed(0)} %`
      )
      .join(' / ');
  const requests = notifyRequests(storm);
  return [
    [
      'CPU per baseline PutItem: storm process / DynamoDB Local',
      `${per(baseline.ownMs, storm.rawPutItems)} / ${per(baseline.dynamoMs, storm.rawPutItems)} (busy ${busy(baseline)} of one core)`,
    ],
    [
      'CPU per delivery: storm process / DynamoDB Local',
      `${per(deliveries.ownMs, storm.deliveries)} / ${per(deliveries.dynamoMs, storm.deliveries)} (busy ${busy(deliveries)} of one core; per notify DynamoDB request ${per(deliveries.ownMs, requests)} / ${per(deliveries.dynamoMs, requests)}, the process's share including the workers and the Slack server)`,
    ],
  ];
};

/**
 * The floor's rate per DynamoDB request, scaled to the requests a storm delivery makes: what the
 * storm would reach if each of its requests cost what the floor's two do on average (the save and
 * the audit entry, with the event's parse shared between them) and nothing else (Slack, routing,
 * the workers) cost anything. An estimate, printed so that a run shows how much of the gap to the
 * target is the number of requests rather than the work around them.
 */
const floorScaledRows = (storm: StormResult, ratioToRaw: number): [string, string][] => {
  const requests = notifyRequests(storm);
  if (requests === 0 || storm.deliveries === 0) return [];
  const perDelivery = requests / storm.deliveries;
  const scaledRatio =
    (storm.floor.savesAndAuditsPerSecond * (2 / perDelivery)) / storm.floor.rawPutItemsPerSecond;
  return [
    [
      `floor: per request, at the storm's ${perDelivery.toFixed(2)} requests per delivery (estimate)`,
      `${scaledRatio.toFixed(3)}× its baseline (the storm's ratio is ${((100 * ratioToRaw) / scaledRatio).toFixed(0)} % of this)`,
    ],
  ];
};

/**
 * The storm's first publications and its re-publications apart: each kind's share of the notify
 * instances' time, and the rate that time gives it (all instances on that kind alone, under the
 * storm's contention), as a ratio to the raw write rate.
 */
const stormKindRows = (storm: StormResult): string[][] => {
  const { options, instanceMs } = storm;
  const total = instanceMs.firstPublications + instanceMs.republications;
  const row = (what: string, count: number, spentMs: number): string[] => {
    const perSecond = count / (spentMs / options.concurrency / 1000);
    return [
      `  ${what}`,
      `${((100 * spentMs) / total).toFixed(0)} % of the instances' time: ${perSecond.toFixed(0)}/s = ${(perSecond / storm.rawPutItemsPerSecond).toFixed(3)}× the raw rate`,
    ];
  };
  return [
    row(`first publications (${options.findings})`, options.findings, instanceMs.firstPublications),
    ...(options.updates > 0
      ? [row(`re-publications (${options.updates})`, options.updates, instanceMs.republications)]
      : []),
  ];
};

const printStorm = (
  storm: StormResult,
  targets: Target[],
  results: Record<string, unknown>
): void => {
  const { options } = storm;
  heading(
    `4. Storm: ${options.findings} findings + ${options.updates} re-published updates, ${options.concurrency} notify instances, Slack limits enforced`
  );
  print(
    'Run in a fresh process of its own, not in the benchmark’s process after the earlier scenarios, against the run’s DynamoDB Local; the raw PutItem baseline runs in that process too, just before the storm: twice, each pass writing new items: the first warms this process’s SDK and the storm’s new table, the second is the baseline.'
  );
  print(
    'The floor rows run after the storm, on a table of their own: a bare PutItem pass to warm it up, one measured as their baseline, then the storm’s events under other ids through the store the functions use, at the same concurrency, doing the two requests notify makes for every received version, one after the other: parse the event, save the finding (the conditional write that keeps its latest count, returning the record) and append the audit entry of the save’s outcome (all a re-published finding does when its digest entry reads the same); then the same without the audit entry. No placement, no Slack. No delivery that saves and then audits like notify’s can beat the first at this concurrency on this server.'
  );
  print(
    `Slack server: chat.postMessage ${STORM_RATE_LIMITS.postMessagePerChannel.perSecond}/s per channel (burst ${STORM_RATE_LIMITS.postMessagePerChannel.burst}), chat.update ${STORM_RATE_LIMITS.updatePerMinute}/min, 429 + Retry-After beyond.`
  );
  print(
    `notify settings: CARD_UPDATE_INTERVAL_SECONDS=${options.cardIntervalSeconds}, SLACK_RETRIES=${options.slackRetries}, posting budget default (1/s, burst 5); every ${options.highEvery || '-'}th finding High. A failed event is re-delivered later, at most ${options.maxAttempts} attempts (Lambda's asynchronous retries).`
  );
  print(
    `A delivery never waits on Slack for a card: an edit that cannot happen at once (the card was edited less than CARD_UPDATE_INTERVAL_SECONDS=${options.cardIntervalSeconds} s ago, or the workspace's edit budget CARD_EDITS_PER_MINUTE, default 40, is spent) is queued on the work queue with a delay, and so is a High finding's own card or the digest that Slack refuses with 429 (for when Retry-After says, or a second after the last post the same instance queued for the channel); ${options.workers} worker instances take those jobs when their delay is over (the SQS stand-in honours DelaySeconds). findings/s counts the deliveries; the catch-up after the last delivery is reported apart, and Slack's limits are checked over both. SLACK_RETRIES=${options.slackRetries} (the product default). Compare other settings with --card-interval / --slack-retries.`
  );
  const ratioToRaw = storm.deliveriesPerSecond / storm.rawPutItemsPerSecond;
  const posts = storm.cardsPosted + storm.digestsPosted;
  print(
    table([
      ['figure', 'value'],
      ['elapsed (deliveries)', `${(storm.elapsedMs / 1000).toFixed(1)} s`],
      ['deliveries', String(storm.deliveries)],
      ['findings/s (deliveries per second)', storm.deliveriesPerSecond.toFixed(1)],
      [
        `baseline: raw PutItem/s at concurrency ${options.concurrency}`,
        `${storm.rawPutItemsPerSecond.toFixed(0)} (${storm.rawPutItems} new items, after a warm-up pass of as many that ran at ${storm.warmUpPutItemsPerSecond.toFixed(0)}/s)`,
      ],
      ['ratio to the raw write rate', `${ratioToRaw.toFixed(3)}×`],
      ...stormKindRows(storm),
      [
        'context: PutItem/s of finding-sized items with their 2 index keys',
        `${storm.findingSizedPutItemsPerSecond.toFixed(0)} (deliveries ${(storm.deliveriesPerSecond / storm.findingSizedPutItemsPerSecond).toFixed(3)}× that)`,
      ],
      [
        'floor: its own baseline, raw PutItem/s on its table',
        storm.floor.rawPutItemsPerSecond.toFixed(0),
      ],
      ...(
        [
          ['parse, save and its audit entry', storm.floor.savesAndAuditsPerSecond],
          ['parse and save the finding', storm.floor.savesPerSecond],
        ] as const
      ).map(([what, perSecond]) => {
        const floorRatio = perSecond / storm.floor.rawPutItemsPerSecond;
        return [
          `floor: ${what}`,
          `${perSecond.toFixed(0)}/s = ${floorRatio.toFixed(3)}× its baseline (the storm's ratio is ${((100 * ratioToRaw) / floorRatio).toFixed(0)} % of this)`,
        ];
      }),
      ...floorScaledRows(storm, ratioToRaw),
      [
        'one delivery (notify invocation) median / p99',
        `${ms(storm.deliveryMs.median)} / ${ms(storm.deliveryMs.p99)}`,
      ],
      ...(['notify', 'worker'] as const).map((who) => {
        const counts = storm.dynamoRequests[who] ?? {};
        const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
        const per = who === 'notify' ? storm.deliveries : Math.max(1, storm.workerJobs);
        return [
          `DynamoDB requests per ${who === 'notify' ? 'delivery' : 'queued job'}`,
          `${(total / per).toFixed(2)} (${Object.entries(counts)
            .sort(([, a], [, b]) => b - a)
            .map(([name, count]) => `${name} ${(count / per).toFixed(2)}`)
            .join(', ')})`,
        ];
      }),
      ...stormCpuRows(storm),
      ...Object.entries(storm.slackCalls).map(([method, calls]) => [
        `Slack ${method}`,
        `${calls.calls} calls, ${calls.ok} ok, ${calls.rateLimited} × 429`,
      ]),
      ['429s received', String(storm.rateLimited)],
      ['Web API client log lines (retries, rate limits; silenced)', String(storm.consoleLines)],
      ['cards posted', String(storm.cardsPosted)],
      ['digests posted', String(storm.digestsPosted)],
      [
        "High findings' own cards: first delivery → Slack accepts it, median / max",
        storm.highCards.posted === 0
          ? `${storm.highCards.posted} of ${storm.highCards.findings} posted`
          : `${ms(storm.highCards.ms.median)} / ${ms(storm.highCards.ms.max)} (${storm.highCards.posted} of ${storm.highCards.findings} posted)`,
      ],
      ['card edits queued for later (incl. re-queued by the worker)', String(storm.editsQueued)],
      [
        "High findings' card posts queued after a 429 (incl. re-queued by the worker)",
        String(storm.postsQueued),
      ],
      [
        "the digest's posts queued after a 429 (incl. re-queued by the worker)",
        String(storm.digestPostsQueued),
      ],
      [
        'queued jobs run by the worker (failed: SQS would run those again, the stand-in does not)',
        `${storm.workerJobs} (${storm.workerFailures})`,
      ],
      ['catch-up: last delivery → no queued job left', `${(storm.catchUpMs / 1000).toFixed(1)} s`],
      [
        'cards and digests behind their latest version afterwards',
        `${storm.cardsBehind} of ${storm.cardsChecked}`,
      ],
      [
        'findings in neither a card nor a digest afterwards',
        `${storm.findingsUnplaced} of ${storm.findingsChecked}`,
      ],
      ['posts allowed by 1/s + burst over deliveries + catch-up', String(storm.postsAllowed)],
      ['chat.update allowed by 50/min over deliveries + catch-up', String(storm.updatesAllowed)],
      ['failed invocations (re-delivered)', String(storm.failedInvocations)],
      ...Object.entries(storm.failureReasons).map(([reason, count]): [string, string] => [
        '  failed with',
        `${count} × ${reason}`,
      ]),
      ['dead-lettered (failed 3 times)', String(storm.deadLettered)],
      [
        'findings lost (not in the table with its latest count)',
        `${storm.findingsLost} of ${storm.findingsChecked}`,
      ],
      [
        'outcomes',
        Object.entries(storm.outcomes)
          .map(([key, count]) => `${key} ${count}`)
          .join(', '),
      ],
    ])
  );
  const updates = storm.slackCalls['chat.update']?.ok ?? 0;
  targets.push(
    {
      name: 'storm throughput ≥ 0.3× raw PutItem rate',
      measured: `${storm.deliveriesPerSecond.toFixed(1)}/s = ${ratioToRaw.toFixed(3)}×`,
      limit: `≥ ${(0.3 * storm.rawPutItemsPerSecond).toFixed(0)}/s`,
      pass: ratioToRaw >= 0.3,
    },
    {
      name: 'storm: findings lost = 0',
      measured: String(storm.findingsLost),
      limit: '0',
      pass: storm.findingsLost === 0,
    },
    {
      name: 'storm: every card and digest shows its latest version after the catch-up',
      measured: `${storm.cardsBehind} behind`,
      limit: '0',
      pass: storm.cardsBehind === 0,
    },
    {
      name: 'storm: every finding in a card or a digest after the catch-up',
      measured: `${storm.findingsUnplaced} unplaced`,
      limit: '0',
      pass: storm.findingsUnplaced === 0,
    },
    {
      name: 'storm: Slack posts within 1/s + burst 5 over the run',
      measured: String(posts),
      limit: `≤ ${storm.postsAllowed}`,
      pass: posts <= storm.postsAllowed,
    },
    {
      name: 'storm: card edits within 50/min over the run',
      measured: String(updates),
      limit: `≤ ${storm.updatesAllowed}`,
      pass: updates <= storm.updatesAllowed,
    }
  );
  results.storm = { ...storm, ratioToRaw };
};

const printReport = (report: ReportResult, results: Record<string, unknown>): void => {
  heading(`6. After-action report of an incident with ${report.entries} audit entries`);
  print(
    table([
      ['step', 'median', 'p99', '× listAudit median'],
      [
        'buildAfterActionReport',
        ms(report.build.median),
        ms(report.build.p99),
        ratio(report.build.median, report.listAudit.median),
      ],
      [
        'baseline: DynamoFindingStore.listAudit from DynamoDB Local',
        ms(report.listAudit.median),
        ms(report.listAudit.p99),
        '1.00×',
      ],
    ])
  );
  print(`${report.repetitions} repetitions; Markdown ${bytes(report.markdownBytes)}.`);
  results.report = report;
};

const printMemory = (
  cold: Map<string, ColdSample[]> | undefined,
  ackProcess: { name: string; bytes: number } | undefined,
  heapAfterGc: { requests: number; bytes: number }[] | undefined,
  ack: AckResult | undefined,
  storm: StormResult | undefined,
  report: ReportResult | undefined,
  targets: Target[],
  results: Record<string, unknown>
): void => {
  heading('5. Peak memory (RSS)');
  const rows: string[][] = [];
  const memory: Record<string, number> = {};
  for (const [name, samples] of cold ?? []) {
    const peak = Math.max(...samples.map((sample) => sample.maxRssBytes));
    memory[`cold:${name}`] = peak;
    rows.push([`cold: ${name}`, 'child process, peak (getrusage maxRSS)', bytes(peak)]);
  }
  if (ack !== undefined) {
    memory.ack = ack.peakRssBytes;
    rows.push([
      'ack path (warm, in-process)',
      "the ack scenario's own process (tsx, harness, Slack server, DynamoDB client)",
      bytes(ack.peakRssBytes),
    ]);
  }
  if (report !== undefined) {
    memory.report = report.peakRssBytes;
    rows.push(['report', 'whole bench process', bytes(report.peakRssBytes)]);
  }
  if (storm !== undefined) {
    memory.storm = storm.peakRssBytes;
    rows.push([
      'storm',
      `the storm's own process (tsx, harness, Slack server, ${storm.options.concurrency} notify instances, 2 workers)`,
      bytes(storm.peakRssBytes),
    ]);
  }
  print(table([['scenario', 'what is measured', 'peak RSS'], ...rows]));
  const limit = 150_000_000;
  if (ackProcess !== undefined) {
    targets.push({
      name: `ack path RSS < 150 MB (slack bundle in its own process, ${ackProcess.name})`,
      measured: bytes(ackProcess.bytes),
      limit: '< 150 MB',
      pass: ackProcess.bytes < limit,
    });
  }
  print(
    'The report figure includes the whole benchmark process (tsx, esbuild results, DynamoDB Local client, every earlier scenario); the ack path and the storm each run in a process of their own, with tsx and the harness. Context, not a target.'
  );
  // Peak RSS mostly says when V8 ran its first full collection; a leak shows as heap that a full
  // collection cannot free, growing with the requests.
  // From the middle sample on: before it V8 is still compiling and optimising the code of the
  // paths the requests take (about 1 KB of code per request early on, flat after ~1,000 requests).
  const samples = heapAfterGc ?? [];
  const middle = samples[Math.floor(samples.length / 2) - 1];
  const last = samples.at(-1);
  if (middle !== undefined && last !== undefined && last.requests > middle.requests) {
    const perRequest = (last.bytes - middle.bytes) / (last.requests - middle.requests);
    print(
      `Leak check (slack bundle, --expose-gc, a full collection every ${samples[0]?.requests} requests): heap in use ${samples
        .map((sample) => `${sample.requests}: ${bytes(sample.bytes)}`)
        .join(', ')}.`
    );
    targets.push({
      name: `ack path keeps nothing per request (heap after GC, requests ${middle.requests} → ${last.requests})`,
      measured: `${bytes(perRequest)} per request`,
      // A retained request (its body, the finding, the answer) would be several KB.
      limit: '< 2 KB per request',
      pass: perRequest < 2_000,
    });
    memory.heapAfterGcBytesPerRequest = perRequest;
  }
  results.memory = memory;
};

// ---------------------------------------------------------------------------------------------

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const deadline = setTimeout(() => {
  progress(`stopped: the run exceeded --timeout ${options.timeoutSeconds} s`);
  process.exit(3);
}, options.timeoutSeconds * 1000);
deadline.unref();
try {
  await main(options);
  clearTimeout(deadline);
} catch (error) {
  progress(`failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
