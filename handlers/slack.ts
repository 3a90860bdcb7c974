import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createSlackHandler, type SlackHandler } from '../src/composition/slackHandler';

let ready: Promise<SlackHandler> | undefined;

/** HTTP API → slack: slash commands and interactivity, verified and acknowledged within 3 s. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context
): Promise<unknown> => {
  ready ??= createSlackHandler();
  try {
    return await (await ready)(event, context);
  } catch (error) {
    // A failed cold start (e.g. SSM unreachable) must not be cached for the container's lifetime.
    if (
      !(await ready.then(
        () => true,
        () => false
      ))
    )
      ready = undefined;
    throw error;
  }
};
