import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { SLACK_BUNDLE_BUDGET_BYTES } from '../../../bench/budget';
import { buildOptionsFor, productionSettings } from '../../../bench/esbuildSettings';

/**
 * The slack function answers Slack within 3 s, cold start included, and its cold start grows with
 * its bundle. This builds handlers/slack.ts exactly as `osls package` does (the esbuild settings
 * are read from serverless.yml, not copied) and fails when it outgrows its budget (bench/budget.ts,
 * which says how the figure was set). `npm run bench -- --analyze` shows what the bundle is made of.
 */
/** Each function's production build with its metafile, built once for the tests that read it. */
const builds = new Map<string, Promise<Metafile>>();
const metafileOf = (name: string): Promise<Metafile> => {
  let built = builds.get(name);
  if (built === undefined) {
    built = build(
      buildOptionsFor(productionSettings(), `handlers/${name}.ts`, '/virtual/out', {
        write: false,
        metafile: true,
      })
    ).then((result) => result.metafile as Metafile);
    builds.set(name, built);
  }
  return built;
};

/** The files of `package` that a function's bundle keeps (esbuild reads more than it keeps). */
const keptFrom = (metafile: Metafile, packageDir: string): string[] =>
  Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .filter(([input, { bytesInOutput }]) => input.includes(packageDir) && bytesInOutput > 0)
    .map(([input]) => input);

describe('Deployment: bundle budget', () => {
  it('builds the slack bundle with the production settings of serverless.yml', () => {
    // Act
    const settings = productionSettings();

    // Assess
    expect(settings.esbuild).toMatchObject({
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      outExtension: { '.js': '.mjs' },
    });
    expect(settings.esbuild.banner?.js).toContain('createRequire');
  });

  it.each(['notify', 'slack', 'worker'])(
    'bundles only the credentials a function uses into the %s bundle',
    async (name) => {
      // Act
      const metafile = await metafileOf(name);

      // Assess
      const inputs = Object.keys(metafile.inputs);
      expect(inputs).toContain('src/adapters/aws/lambdaCredentials.ts');
      expect(
        inputs.filter((input) =>
          /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|login)|nested-clients)\/|@smithy\/credential-provider-imds\//.test(
            input
          )
        )
      ).toStrictEqual([]);
    }
  );

  it.each(['notify', 'worker'])(
    'bundles zod/mini with its English messages, nothing else of zod, into the %s bundle',
    async (name) => {
      // Act
      const metafile = await metafileOf(name);

      // Assess: see src/events/zodMessages.ts. Not zod's full API (nor zod 3), not its other locales.
      const kept = keptFrom(metafile, 'node_modules/zod/');
      expect(kept).toContain('node_modules/zod/v4/mini/schemas.js');
      expect(kept).toContain('node_modules/zod/v4/locales/en.js');
      expect(
        kept.filter(
          (input) =>
            !input.startsWith('node_modules/zod/v4/mini/') &&
            !input.startsWith('node_modules/zod/v4/core/') &&
            input !== 'node_modules/zod/v4/locales/en.js'
        )
      ).toStrictEqual([]);
    }
  );

  it('bundles no zod into the slack bundle: it parses no event, job or routing rule', async () => {
    // Act
    const metafile = await metafileOf('slack');

    // Assess
    expect(Object.keys(metafile.inputs)).toContain('handlers/slack.ts');
    expect(keptFrom(metafile, 'node_modules/zod/')).toStrictEqual([]);
  });

  it('keeps the slack bundle within its budget', async () => {
    // Prepare
    const settings = productionSettings();

    // Act
    const result = await build(
      buildOptionsFor(settings, 'handlers/slack.ts', '/virtual/out', { write: false })
    );

    // Assess
    const bundle = (result.outputFiles ?? []).find((file) => file.path.endsWith('.mjs'));
    expect(bundle, 'the build produced no .mjs file').toBeDefined();
    const size = bundle?.contents.byteLength ?? Number.POSITIVE_INFINITY;
    expect(
      size,
      `slack bundle is ${size} bytes, budget ${SLACK_BUNDLE_BUDGET_BYTES} (bench/budget.ts)`
    ).toBeLessThanOrEqual(SLACK_BUNDLE_BUDGET_BYTES);
  });
});
