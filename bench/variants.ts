import type { BundleTarget } from './bundles';

/**
 * Variants of the functions measured in the same run as the real ones, to put a number on a
 * change. Nothing here is deployed: each is the production build with one esbuild option changed.
 */

/**
 * The slack function as it would be without serverless.yml's `alias` (Bolt's Express, HTTP and
 * Socket Mode receivers and the OAuth install flow they run bundled for real): what the stubs save.
 */
export const SLACK_VARIANTS: BundleTarget[] = [
  {
    name: 'slack-without-stubs',
    entry: 'handlers/slack.ts',
    kind: 'variant',
    extra: { alias: {} },
    description: "serverless.yml's alias removed: Bolt's unused receivers and OAuth flow bundled",
  },
];

/** Variants of the notify function (none at the moment). */
export const NOTIFY_VARIANTS: BundleTarget[] = [];
