import type { Clock } from '../../src/ports/Clock';

/** A clock that starts at a fixed time and whose `sleep` advances it at once (recording how long). */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  #now: number;

  public constructor(start = '2025-03-11T15:00:00.000Z') {
    this.#now = Date.parse(start);
  }

  public now(): Date {
    return new Date(this.#now);
  }

  public async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#now += ms;
  }

  public advance(ms: number): void {
    this.#now += ms;
  }
}
