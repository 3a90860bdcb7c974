/** The variables a function needs to start at all (see the README's configuration table). */
export const MINIMAL_ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'secret',
  SLACK_BOT_ID: 'B0BOT',
  SLACK_BOT_USER_ID: 'U0BOT',
  SLACK_CHANNEL_ID: 'C0SECOPS',
  TABLE_NAME: 'bot-table',
} as const;
