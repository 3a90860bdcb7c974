/**
 * `npm run bench`: see bench/main.ts. This entry only sets what must be set before the AWS SDK
 * is loaded (Node 20 here, Node 22 on Lambda: the SDK's Node-version notice is noise), then loads
 * the benchmark.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('./main');

export {};
