import { App, AwsLambdaReceiver } from '@slack/bolt';

/**
 * Baseline 2: the minimal Bolt app Slack's own Lambda guide shows — an `AwsLambdaReceiver`, an App
 * built at module scope and one action listener that only acknowledges — bundled with the
 * production esbuild settings (as `bolt-minimal` without, and as `bolt-minimal-stubbed` with,
 * serverless.yml's alias). `botId`/`botUserId` are given so Bolt never calls `auth.test`
 * (the same as our slack function), and the Web API base URL is the loopback Slack server's.
 */
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '' });

const app = new App({
  token: process.env.SLACK_BOT_TOKEN ?? '',
  receiver,
  botId: process.env.SLACK_BOT_ID ?? '',
  botUserId: process.env.SLACK_BOT_USER_ID ?? '',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? 'https://slack.com/api/' },
});

app.action('isolate', async ({ ack }) => {
  await ack();
});

/** The two-argument Lambda handler (HTTP API v2 event, context). */
export const handler = receiver.toHandler();
