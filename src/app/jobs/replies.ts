import type { Job } from '../../ports/JobQueue';
import type { Logger } from '../../ports/Logger';
import type { ResponseUrlClient, SlackGateway, SlackMessage } from '../../ports/SlackGateway';

/** Where a job's answers go. */
export interface ReplyDeps {
  slack: SlackGateway;
  responses: ResponseUrlClient;
  logger: Logger;
}

/**
 * Answers the person who asked: through the request's response_url (private, or in the channel
 * with `share`), falling back to `chat.postEphemeral` when the URL has expired or is used up
 * (5 uses within 30 minutes). Returns false when neither way worked.
 */
export const replyToRequester = async (
  deps: ReplyDeps,
  job: Job,
  message: SlackMessage
): Promise<boolean> => {
  const reply = job.reply;
  if (reply?.responseUrl !== undefined) {
    try {
      await deps.responses.respond(reply.responseUrl, message, {
        visibility: reply.share ? 'in_channel' : 'ephemeral',
      });
      return true;
    } catch (error) {
      deps.logger.warn('response_url refused the answer; falling back to an ephemeral message', {
        jobId: job.id,
        reason: (error as Error).message,
      });
    }
  }
  if (reply?.channel === undefined) return false;
  try {
    if (reply.share) await deps.slack.postMessage(reply.channel, message);
    else await deps.slack.postEphemeral(reply.channel, job.requestedBy.userId, message);
    return true;
  } catch (error) {
    deps.logger.error('could not answer the requester', {
      jobId: job.id,
      reason: (error as Error).message,
    });
    return false;
  }
};

/** Posts in the thread of a finding's card (or the channel, when the card has no ts). */
export const postInThread = async (
  deps: Pick<ReplyDeps, 'slack' | 'logger'>,
  where: { channel: string; threadTs?: string },
  message: SlackMessage
): Promise<void> => {
  try {
    await deps.slack.postMessage(where.channel, message, where.threadTs);
  } catch (error) {
    // The outcome is recorded and shown on the card; the thread message is a courtesy.
    deps.logger.error('could not post in the card thread', { reason: (error as Error).message });
  }
};
