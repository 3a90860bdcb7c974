/**
 * The workshop's clock. The fixtures happened on 2025-03-11; the demo replays them as if they
 * happened today, so every look-back window of the bot (the 7-day related-findings search, the
 * 30-day cap of `/guardduty logs --since`, the log window of Investigate) sees them. Every
 * timestamp moves by the same amount, so their order and the gaps between them stay as recorded.
 */

/** The latest moment of the fixtures: EventBridge delivered the re-published brute force. */
export const WORKSHOP_LAST_EVENT = '2025-03-11T20:05:14Z';

/** How long before "now" the latest fixture event is replayed. */
const LAST_EVENT_AGE_MS = 2 * 60_000;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The shift (whole minutes, so seconds read as in the fixtures) that puts the last event just before `now`. */
export const workshopShiftMs = (now: number): number =>
  Math.floor((now - LAST_EVENT_AGE_MS - Date.parse(WORKSHOP_LAST_EVENT)) / 60_000) * 60_000;

/** Moves one ISO-8601 UTC instant, keeping its format (with or without milliseconds). */
export const shiftInstant = (iso: string, shiftMs: number): string => {
  const moved = new Date(Date.parse(iso) + shiftMs).toISOString();
  return iso.includes('.') ? moved : moved.replace(/\.\d{3}Z$/, 'Z');
};

/** A deep copy of `value` with every ISO-8601 UTC instant in it moved by `shiftMs`. */
export const shiftTimes = <T>(value: T, shiftMs: number): T => {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string')
      return ISO_INSTANT.test(node) ? shiftInstant(node, shiftMs) : node;
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child)]));
    }
    return node;
  };
  return walk(value) as T;
};
