/**
 * Baseline 1: the smallest possible Lambda handler, bundled with the production esbuild settings.
 * Its cold init is what Node and the bundle format cost before any code of ours runs.
 */
export const handler = async (): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: 'hello',
});
