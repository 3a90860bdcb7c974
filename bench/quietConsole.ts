/**
 * Silences the global console while an in-process scenario runs, counting the lines instead. The
 * Slack Web API client logs every rate-limited call and retry through `console` (its own logger,
 * not ours); on Lambda those lines go to CloudWatch, here they would bury the table.
 */
export const quietConsole = (): { restore: () => number } => {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((method) => console[method]);
  let lines = 0;
  for (const method of methods) {
    console[method] = () => {
      lines += 1;
    };
  }
  return {
    restore: () => {
      methods.forEach((method, index) => {
        console[method] = saved[index] as (typeof console)[typeof method];
      });
      return lines;
    },
  };
};
