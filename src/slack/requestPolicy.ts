/** Where a request may come from (see SLACK_TEAM_ID and ALLOWED_CHANNELS). */
export interface RequestPolicy {
  teamId?: string;
  allowedChannels?: readonly string[];
}

/**
 * Returns why a request from this workspace and channel is refused, or undefined when allowed.
 * Requests from another workspace (Slack Connect included) are refused when a team is configured.
 */
export const refusalReason = (
  policy: RequestPolicy,
  request: { teamId?: string; channelId?: string }
): string | undefined => {
  if (policy.teamId !== undefined && request.teamId !== policy.teamId) {
    return 'This bot only answers its own workspace.';
  }
  if (
    policy.allowedChannels !== undefined &&
    (request.channelId === undefined || !policy.allowedChannels.includes(request.channelId))
  ) {
    return 'This bot is not enabled in this channel.';
  }
  return undefined;
};
