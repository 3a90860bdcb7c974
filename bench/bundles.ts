import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { buildOptionsFor, type ProductionSettings, REPO_ROOT } from './esbuildSettings';

/** One bundle the benchmark builds. */
export interface BundleTarget {
  name: string;
  /** Entry point, relative to the repository root. */
  entry: string;
  kind: 'function' | 'baseline' | 'variant';
  /** Extra esbuild options of a variant (measured here, not deployed), or a function of the production ones. */
  extra?: BuildOptions | ((production: BuildOptions) => BuildOptions);
  /** One line for the printed table. */
  description?: string;
}

/** A built bundle. */
export interface BuiltBundle {
  target: BundleTarget;
  /** Absolute path of the `.mjs` file. */
  file: string;
  bytes: number;
  /** gzip -6 size: close to what the deployment zip stores. */
  gzipBytes: number;
  buildMs: number;
  metafile: Metafile;
}

/** The three functions, as serverless.yml / the operator contract name them. */
export const FUNCTION_TARGETS: BundleTarget[] = [
  { name: 'notify', entry: 'handlers/notify.ts', kind: 'function' },
  { name: 'slack', entry: 'handlers/slack.ts', kind: 'function' },
  { name: 'worker', entry: 'handlers/worker.ts', kind: 'function' },
];

/** The baselines, built with the same settings in the same run (the third is context only). */
export const BASELINE_TARGETS: BundleTarget[] = [
  {
    name: 'hello-world',
    entry: 'bench/baselines/helloWorld.ts',
    kind: 'baseline',
    description: 'async () => ({ statusCode: 200 })',
  },
  {
    // The baseline: the minimal app as Slack's Lambda guide builds it, with the production
    // esbuild settings but without our alias (which is the change the target asks of our bundle).
    name: 'bolt-minimal',
    entry: 'bench/baselines/boltMinimal.ts',
    kind: 'baseline',
    extra: { alias: {} },
    description:
      "Bolt App + AwsLambdaReceiver + one action listener, all of Bolt (as Slack's guide)",
  },
  {
    name: 'bolt-minimal-stubbed',
    entry: 'bench/baselines/boltMinimal.ts',
    kind: 'baseline',
    description: "bolt-minimal with serverless.yml's alias too (Bolt's unused parts stubbed)",
  },
  {
    name: 'bolt-dynamo-write',
    entry: 'bench/baselines/boltDynamoWrite.ts',
    kind: 'baseline',
    description:
      'bolt-minimal-stubbed whose listener writes one DynamoDB item first (the SDK floor)',
  },
];

/** Builds one bundle with the production settings (plus the target's extra options). */
export const buildBundle = async (
  settings: ProductionSettings,
  target: BundleTarget,
  outRoot: string,
  /** Also write `<bundle>.map` (the bundle itself is unchanged: no sourceMappingURL comment). */
  sourceMap = false
): Promise<BuiltBundle> => {
  const outdir = join(outRoot, target.name);
  const started = performance.now();
  const result = await build(
    buildOptionsFor(settings, target.entry, outdir, {
      metafile: true,
      ...(sourceMap ? { sourcemap: 'external' } : {}),
      ...(typeof target.extra === 'function' ? target.extra(settings.esbuild) : target.extra),
    })
  );
  const buildMs = performance.now() - started;
  const file = join(
    outdir,
    `${basename(target.entry).replace(/\.[cm]?[jt]sx?$/, '')}${settings.outputFileExtension}`
  );
  const content = readFileSync(file);
  return {
    target,
    file,
    bytes: content.byteLength,
    gzipBytes: gzipSync(content, { level: 6 }).byteLength,
    buildMs,
    metafile: result.metafile as Metafile,
  };
};

/** The npm package a bundled input belongs to, or undefined for our own source. */
export const packageOf = (inputPath: string): string | undefined => {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = inputPath.slice(at + marker.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};

/** Bytes in the output per package (npm package name, or `ours:<folder>` for our source). */
export const contributors = (
  metafile: Metafile
): { name: string; bytes: number; files: number }[] => {
  const output = Object.values(metafile.outputs).find((out) => out.entryPoint !== undefined);
  if (output === undefined) return [];
  const byName = new Map<string, { bytes: number; files: number }>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name =
      packageOf(path) ?? `ours:${path.split('/').slice(0, -1).join('/') || path.split('/')[0]}`;
    const entry = byName.get(name) ?? { bytes: 0, files: 0 };
    entry.bytes += bytesInOutput;
    entry.files += 1;
    byName.set(name, entry);
  }
  return [...byName.entries()]
    .map(([name, value]) => ({ name, ...value }))
    .sort((a, b) => b.bytes - a.bytes);
};

/**
 * The shortest import chain from the entry point to the first file of `pkg` (how a package gets
 * into the bundle), as input paths.
 */
export const importChain = (metafile: Metafile, pkg: string): string[] => {
  const output = Object.values(metafile.outputs).find((out) => out.entryPoint !== undefined);
  const entry = output?.entryPoint;
  if (entry === undefined) return [];
  const previous = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (packageOf(current) === pkg) {
      const chain: string[] = [];
      for (let at: string | undefined = current; at !== undefined; at = previous.get(at)) {
        chain.unshift(at);
      }
      return chain;
    }
    for (const imported of metafile.inputs[current]?.imports ?? []) {
      if (imported.external || previous.has(imported.path)) continue;
      previous.set(imported.path, current);
      queue.push(imported.path);
    }
  }
  return [];
};

/** A shorter display form of an input path. */
export const shortPath = (path: string): string =>
  path.replace(/^.*node_modules\//, '').replace(REPO_ROOT, '');
