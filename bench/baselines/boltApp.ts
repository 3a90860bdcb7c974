import { App, AwsLambdaReceiver } from '@slack/bolt';

/**
 * The minimal Bolt app Slack's own Lambda guide shows: an `AwsLambdaReceiver` and an App built at
 * module scope. `botId`/`botUserId` are given so Bolt never calls `auth.test` (the same as our
 * slack function), and the Web API base URL is the loopback Slack server's.
 */
export const minimalBoltApp = (): { app: App; receiver: AwsLambdaReceiver } => {
  const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '' });
  const app = new App({
    token: process.env.SLACK_BOT_TOKEN ?? '',
    receiver,
    botId: process.env.SLACK_BOT_ID ?? '',
    botUserId: process.env.SLACK_BOT_USER_ID ?? '',
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? 'https://slack.com/api/' },
  });
  return { app, receiver };
};
