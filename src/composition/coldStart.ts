/**
 * Builds a Lambda handler once per container, on its first invocation, and delegates to it.
 * A failed build (SSM unreachable, bad configuration) is not cached: the next invocation retries it.
 */
export const coldStart = <A extends unknown[], R>(
  build: () => Promise<(...args: A) => Promise<R>>
): ((...args: A) => Promise<R>) => {
  let ready: Promise<(...args: A) => Promise<R>> | undefined;
  return async (...args: A): Promise<R> => {
    ready ??= build();
    const current = ready;
    try {
      return await (await current)(...args);
    } catch (error) {
      if (
        !(await current.then(
          () => true,
          () => false
        )) &&
        ready === current
      )
        ready = undefined;
      throw error;
    }
  };
};
