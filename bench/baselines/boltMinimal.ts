import { minimalBoltApp } from './boltApp';

/**
 * Baseline 2: the minimal Bolt app with one action listener that only acknowledges, bundled with
 * the production esbuild settings (as `bolt-minimal` without, and as `bolt-minimal-stubbed` with,
 * serverless.yml's alias).
 */
const { app, receiver } = minimalBoltApp();

app.action('isolate', async ({ ack }) => {
  await ack();
});

/** The two-argument Lambda handler (HTTP API v2 event, context). */
export const handler = receiver.toHandler();
