/** Command-line options of `npm run bench`. Defaults are the figures. */
export interface BenchOptions {
  quick: boolean;
  out: string;
  analyze: boolean;
  /** Write a V8 CPU profile of every measured cold process of the functions into this folder. */
  cpuProfDir: string | undefined;
  variants: boolean;
  /** Scenarios to run (default all). */
  only: Set<Scenario>;
  coldRuns: number;
  ackRequests: number;
  ackWarmup: number;
  stormFindings: number;
  stormUpdates: number;
  stormConcurrency: number;
  /** CARD_UPDATE_INTERVAL_SECONDS for the storm. */
  cardIntervalSeconds: number;
  /** SLACK_RETRIES for the storm. */
  slackRetries: number;
  stormHighEvery: number;
  reportEntries: number;
  reportRepetitions: number;
  /** Hard limit of the whole run; it stops by itself past it. */
  timeoutSeconds: number;
}

export const SCENARIOS = ['size', 'cold', 'ack', 'storm', 'report'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `usage: npm run bench -- [options]
  --quick                   a fast smoke run (small counts; figures are not comparable)
  --out PATH                JSON results (default bench/results.json)
  --analyze                 print the slack bundle's top contributors and why they are there
  --cpu-prof DIR            CPU profiles (node --cpu-prof) of the functions' cold processes, one
                            folder per case with source maps of the bundles beside them, and of
                            the ack and storm processes (DIR/ack, DIR/storm)
  --no-variants             skip the variant bundles of slack / notify (proposed changes)
  --only LIST               comma-separated subset of ${SCENARIOS.join(',')}
  --cold-runs N             fresh processes per cold case (default 15, at least 15 for the issue)
  --ack-requests N          measured requests per ack kind (default 500)
  --storm-findings N        distinct findings (default 1000)
  --storm-updates N         re-published updates (default 3000)
  --storm-concurrency N     notify instances delivering at once (default 10)
  --card-interval S         CARD_UPDATE_INTERVAL_SECONDS in the storm (default 1; the product's is 5)
  --slack-retries N         SLACK_RETRIES in the storm (default 3, the product default)
  --storm-high-every N      every N-th storm finding is High (own card); 0 = none (default 100)
  --report-entries N        audit entries of the incident (default 1000)
  --report-repetitions N    (default 20)
  --timeout S               stop the whole run after S seconds (default 5400)`;

const DEFAULTS: Omit<BenchOptions, 'only'> = {
  quick: false,
  out: 'bench/results.json',
  analyze: false,
  cpuProfDir: undefined,
  variants: true,
  coldRuns: 15,
  ackRequests: 500,
  ackWarmup: 30,
  stormFindings: 1000,
  stormUpdates: 3000,
  stormConcurrency: 10,
  cardIntervalSeconds: 1,
  slackRetries: 3,
  stormHighEvery: 100,
  reportEntries: 1000,
  reportRepetitions: 20,
  timeoutSeconds: 5400,
};

const QUICK: Partial<BenchOptions> = {
  quick: true,
  coldRuns: 3,
  ackRequests: 50,
  ackWarmup: 10,
  stormFindings: 50,
  stormUpdates: 150,
  reportEntries: 200,
  reportRepetitions: 5,
};

const NUMBER_FLAGS: Record<string, keyof BenchOptions> = {
  '--cold-runs': 'coldRuns',
  '--ack-requests': 'ackRequests',
  '--storm-findings': 'stormFindings',
  '--storm-updates': 'stormUpdates',
  '--storm-concurrency': 'stormConcurrency',
  '--card-interval': 'cardIntervalSeconds',
  '--slack-retries': 'slackRetries',
  '--storm-high-every': 'stormHighEvery',
  '--report-entries': 'reportEntries',
  '--report-repetitions': 'reportRepetitions',
  '--timeout': 'timeoutSeconds',
};

/** Parses the arguments; throws with the usage on anything unknown. */
export const parseOptions = (argv: readonly string[]): BenchOptions => {
  const options: BenchOptions = {
    ...DEFAULTS,
    ...(argv.includes('--quick') ? QUICK : {}),
    only: new Set(SCENARIOS),
  };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index] as string;
    const value = (): string => {
      const next = argv[index + 1];
      if (next === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      index += 1;
      return next;
    };
    if (flag === '--quick') continue;
    if (flag === '--analyze') options.analyze = true;
    else if (flag === '--no-variants') options.variants = false;
    else if (flag === '--out') options.out = value();
    else if (flag === '--cpu-prof') options.cpuProfDir = value();
    else if (flag === '--only') {
      const names = value().split(',');
      for (const name of names) {
        if (!(SCENARIOS as readonly string[]).includes(name)) {
          throw new Error(`unknown scenario ${name}\n${USAGE}`);
        }
      }
      options.only = new Set(names as Scenario[]);
    } else if (flag in NUMBER_FLAGS) {
      const parsed = Number(value());
      if (!Number.isFinite(parsed) || parsed < 0) {
        throw new Error(`${flag} needs a non-negative number\n${USAGE}`);
      }
      (options as unknown as Record<string, number>)[NUMBER_FLAGS[flag] as string] = parsed;
    } else if (flag === '--help' || flag === '-h') {
      throw new Error(USAGE);
    } else {
      throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
};
