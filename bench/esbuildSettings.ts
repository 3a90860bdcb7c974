import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { readYamlPath, type YamlValue } from './miniYaml';

/**
 * The production esbuild settings, read from `serverless.yml` (`custom.esbuild` and
 * `provider.runtime`) and turned into esbuild options the way serverless-esbuild 1.57 does it
 * (`getBuildOptions()` + `bundle()` in node_modules/serverless-esbuild/dist): its defaults, the
 * runtime's target, the YAML settings merged over them (maps deeply, arrays replaced), the
 * plugin-only keys removed, `exclude` appended to `external`, and `outputFileExtension` turned
 * into `outExtension`. One source of truth: nothing here duplicates a value of serverless.yml.
 */

/** The repository root (the folder holding serverless.yml). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** serverless-esbuild's defaults (DEFAULT_BUILD_OPTIONS, the parts that reach esbuild). */
const PLUGIN_DEFAULTS: Record<string, YamlValue> = {
  bundle: true,
  target: 'node18',
  external: [],
  exclude: ['aws-sdk'],
  platform: 'node',
  outputFileExtension: '.js',
};

/** Options serverless-esbuild consumes itself and deletes before calling esbuild. */
const PLUGIN_ONLY_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

type YamlMap = Record<string, YamlValue>;
const isMap = (value: YamlValue | undefined): value is YamlMap =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** ramda's mergeDeepRight: maps merge key by key, anything else (arrays too) is replaced. */
const mergeDeepRight = (left: YamlMap, right: YamlMap): YamlMap => {
  const merged: YamlMap = { ...left };
  for (const [key, value] of Object.entries(right)) {
    const before = merged[key];
    merged[key] = isMap(before) && isMap(value) ? mergeDeepRight(before, value) : value;
  }
  return merged;
};

const strings = (value: YamlValue | undefined): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (item): item is string => typeof item === 'string'
  );

/** What was read from serverless.yml, for printing next to the results. */
export interface ProductionSettings {
  /** `custom.esbuild` exactly as written. */
  yaml: YamlMap;
  runtime: string;
  /** The output extension (`.mjs`). */
  outputFileExtension: string;
  /** esbuild options without entry points and output folder. */
  esbuild: BuildOptions;
}

/** Reads serverless.yml and derives the esbuild options `osls package` uses. */
export const productionSettings = (
  serverlessYml = resolve(REPO_ROOT, 'serverless.yml')
): ProductionSettings => {
  const source = readFileSync(serverlessYml, 'utf8');
  const yaml = readYamlPath(source, ['custom', 'esbuild']);
  if (!isMap(yaml)) throw new Error('custom.esbuild in serverless.yml is not a map');
  if (yaml.config !== undefined) {
    throw new Error('custom.esbuild.config (a JS config file) is not supported by the benchmark');
  }
  const runtime = String(readYamlPath(source, ['provider', 'runtime']));
  // serverless-esbuild's providerRuntimeMatcher: nodejsNN.x -> nodeNN.
  const runtimeTarget = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  const options = mergeDeepRight(
    mergeDeepRight(PLUGIN_DEFAULTS, runtimeTarget ? { target: `node${runtimeTarget}` } : {}),
    yaml
  );
  const exclude = strings(options.exclude);
  const outputFileExtension = String(options.outputFileExtension);
  const esbuild: YamlMap = { ...options };
  for (const key of PLUGIN_ONLY_KEYS) delete esbuild[key];
  esbuild.external = [...strings(options.external), ...(exclude.includes('*') ? [] : exclude)];
  const built = esbuild as unknown as BuildOptions;
  if (outputFileExtension !== '.js') built.outExtension = { '.js': outputFileExtension };
  return { yaml, runtime, outputFileExtension, esbuild: built };
};

/**
 * Full esbuild options for one entry point, as serverless-esbuild passes them: the production
 * settings plus `entryPoints` and `outdir` (and, for the benchmark's own purposes, extra options
 * such as `metafile` or `alias` for a variant that is measured, never deployed).
 */
export const buildOptionsFor = (
  settings: ProductionSettings,
  entry: string,
  outdir: string,
  extra: BuildOptions = {}
): BuildOptions => ({
  ...settings.esbuild,
  absWorkingDir: REPO_ROOT,
  entryPoints: [entry],
  outdir,
  logLevel: 'silent',
  ...extra,
});
