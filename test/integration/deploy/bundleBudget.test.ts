import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { SLACK_BUNDLE_BUDGET_BYTES } from '../../../bench/budget';
import { buildOptionsFor, productionSettings } from '../../../bench/esbuildSettings';

/**
 * The slack function answers Slack within 3 s, cold start included, and its cold start grows with
 * its bundle. This builds handlers/slack.ts exactly as `osls package` does (the esbuild settings
 * are read from serverless.yml, not copied) and fails when it outgrows its budget (bench/budget.ts,
 * which says how the figure was set). `npm run bench -- --analyze` shows what the bundle is made of.
 */
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
      const result = await build(
        buildOptionsFor(productionSettings(), `handlers/${name}.ts`, '/virtual/out', {
          write: false,
          metafile: true,
        })
      );

      // Assess
      const inputs = Object.keys(result.metafile?.inputs ?? {});
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

  it.each([
    ['notify', ['en.js']],
    ['worker', ['en.js']],
    ['slack', []],
  ])("bundles zod/mini, never zod's full API, into the %s bundle", async (name, locales) => {
    // Act
    const result = await build(
      buildOptionsFor(productionSettings(), `handlers/${name}.ts`, '/virtual/out', {
        write: false,
        metafile: true,
      })
    );

    // Assess: the full API attaches every method to every schema (src/events/zodMessages.ts).
    // The files esbuild read include every locale; the bundle keeps the ones with bytes in it.
    const zod = Object.values(result.metafile?.outputs ?? {})
      .flatMap((output) => Object.entries(output.inputs))
      .filter(
        ([input, { bytesInOutput }]) => input.includes('node_modules/zod/') && bytesInOutput > 0
      )
      .map(([input]) => input);
    expect(zod.filter((input) => input.includes('/classic/'))).toStrictEqual([]);
    expect(
      zod.filter((input) => input.includes('/locales/')).map((input) => input.split('/').pop())
    ).toStrictEqual(locales);
    expect(zod.some((input) => input.includes('/mini/'))).toBe(name !== 'slack');
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
