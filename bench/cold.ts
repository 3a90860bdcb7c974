import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { REPO_ROOT } from './esbuildSettings';

/** What the child process (bench/coldRunner.mjs) reports. */
export interface ChildResult {
  /** Node's own start-up, before the runner's first line. */
  bootMs: number;
  /** `import()` of the bundle: parse and evaluate the module. */
  loadMs: number;
  requests: { ms: number; response: unknown }[];
  error?: string;
  rssBytes: number;
  maxRssBytes: number;
  /** Heap in use after a full collection, every `heapSampleEvery` requests (leak check only). */
  heapAfterGc?: { requests: number; bytes: number }[];
}

/** One measured cold start. */
export interface ColdSample {
  /** Module load plus the first request: the part of INIT + first invoke that is ours. */
  initMs: number;
  loadMs: number;
  firstRequestMs: number;
  /** The same request again in the same process (warm), when the case sends two. */
  secondRequestMs: number;
  bootMs: number;
  /** Spawn to exit, as seen by the parent (Node start-up and exit included). */
  wallMs: number;
  maxRssBytes: number;
  heapAfterGc?: { requests: number; bytes: number }[];
}

/** One kind of cold start to measure. */
export interface ColdCase {
  name: string;
  group: 'function' | 'baseline' | 'variant';
  /** The bundled handler module. */
  bundle: string;
  /** What its first request is, for the printed table. */
  request: string;
  /** The request(s) for run `run` (fresh state per run where the request changes state). */
  prepare(run: number): Promise<unknown[]>;
  /** An error message when the child's answer is not the expected one. */
  check(result: ChildResult, run: number): Promise<string | undefined>;
  /** Node options of the child (e.g. `--expose-gc` for a leak check). */
  nodeArgs?: string[];
  /** Collect garbage and sample the heap every this many requests (needs `--expose-gc`). */
  heapSampleEvery?: number;
}

/**
 * `--cpu-prof DIR`: every process of the functions' cases writes a V8 CPU profile into
 * DIR/<case>/, with a copy of its bundle and source map beside it (the bundle is the measured one:
 * the map is written next to it, no comment is added). Profiling slows the processes down, so
 * the cold figures of such a run are for reading the profiles only.
 */
export const profileColdFunctions = (cases: ColdCase[], dir: string): void => {
  for (const coldCase of cases) {
    if (coldCase.group !== 'function') continue;
    const caseDir = resolve(dir, coldCase.name.replace(/\W+/g, '_'));
    mkdirSync(caseDir, { recursive: true });
    for (const file of [coldCase.bundle, `${coldCase.bundle}.map`]) {
      copyFileSync(file, join(caseDir, basename(file)));
    }
    coldCase.nodeArgs = [...(coldCase.nodeArgs ?? []), '--cpu-prof', `--cpu-prof-dir=${caseDir}`];
  }
};

const MARKER = '@@BENCH_RESULT@@';
const CHILD_TIMEOUT_MS = 60_000;
const RUNNER = join(REPO_ROOT, 'bench', 'coldRunner.mjs');

/** Runs one child process for `coldCase` and returns its result and wall time. */
const runChild = async (
  coldCase: ColdCase,
  run: number,
  env: Record<string, string>,
  workDir: string
): Promise<{ result: ChildResult; wallMs: number }> => {
  const events = await coldCase.prepare(run);
  const jobFile = join(workDir, `job-${coldCase.name.replace(/\W+/g, '_')}-${run}.json`);
  writeFileSync(
    jobFile,
    JSON.stringify({
      bundle: coldCase.bundle,
      requests: events.map((event) => ({ event })),
      heapSampleEvery: coldCase.heapSampleEvery ?? 0,
    })
  );
  const started = performance.now();
  const child = spawn(process.execPath, [...(coldCase.nodeArgs ?? []), RUNNER, jobFile], {
    cwd: workDir,
    // Only what the function would have on Lambda: no NODE_OPTIONS, no loader hooks of the parent.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(MARKER));
  if (line === undefined) {
    throw new Error(
      `${coldCase.name} run ${run}: no result (exit ${code}); stderr: ${stderr.trim()}; stdout: ${stdout.slice(-1000)}`
    );
  }
  const result = JSON.parse(line.slice(MARKER.length)) as ChildResult;
  if (result.error !== undefined) throw new Error(`${coldCase.name} run ${run}: ${result.error}`);
  const wrong = await coldCase.check(result, run);
  if (wrong !== undefined) throw new Error(`${coldCase.name} run ${run}: ${wrong}`);
  return { result, wallMs };
};

/**
 * Measures every case `runs` times in fresh Node processes, one process at a time, the cases
 * interleaved (round-robin) so that drift of the machine hits all of them alike. One extra
 * round first is not measured (it warms the file cache, as a deployed function's is).
 */
export const measureColdStarts = async (
  cases: ColdCase[],
  runs: number,
  env: Record<string, string>,
  workDir: string,
  progress: (message: string) => void
): Promise<Map<string, ColdSample[]>> => {
  const samples = new Map<string, ColdSample[]>(cases.map((coldCase) => [coldCase.name, []]));
  for (let round = -1; round < runs; round += 1) {
    for (const coldCase of cases) {
      const run = round + 1;
      const { result, wallMs } = await runChild(coldCase, run, env, workDir);
      if (round < 0) continue;
      const firstRequestMs = result.requests[0]?.ms ?? Number.NaN;
      samples.get(coldCase.name)?.push({
        initMs: result.loadMs + firstRequestMs,
        loadMs: result.loadMs,
        firstRequestMs,
        secondRequestMs: result.requests[1]?.ms ?? Number.NaN,
        bootMs: result.bootMs,
        wallMs,
        maxRssBytes: result.maxRssBytes,
        ...(result.heapAfterGc === undefined ? {} : { heapAfterGc: result.heapAfterGc }),
      });
    }
    if (round >= 0) progress(`cold init: round ${round + 1}/${runs}`);
  }
  return samples;
};
