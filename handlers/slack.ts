import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { coldStart } from '../src/composition/coldStart';
import { createSlackHandler } from '../src/composition/slackHandler';

/** HTTP API → slack: slash commands and interactivity, verified and acknowledged within 3 s. */
export const handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown> =
  coldStart(() => createSlackHandler());
