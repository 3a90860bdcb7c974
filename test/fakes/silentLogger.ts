import type { Logger } from '../../src/ports/Logger';

/** A logger that records nothing: for use cases whose logs a test does not assert. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
