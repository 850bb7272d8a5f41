/** An RFC 3339 time as Pub/Sub and Cloud Storage write it: `2027-03-01T10:00:00.123Z` or with an offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Whether `text` is an RFC 3339 time that exists: the pattern, and a month, day, hour, minute, second and
 * offset in range (a leap second, `:60`, is allowed). `2026-13-45T99:99:99Z` matches the pattern only.
 */
export function isRfc3339Time(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [offsetHours, offsetMinutes] = [Number(match[7] ?? 0), Number(match[8] ?? 0)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 60
    && offsetHours <= 23 && offsetMinutes <= 59;
}

/** How far ahead of the receiving function's clock an event's time may be. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** Why an event's time cannot be used, or undefined: a publisher sets it, so it may not lie after its receipt. */
export function receiptProblem(atMs: number, receivedAtMs: number): string | undefined {
  if (atMs <= receivedAtMs + CLOCK_SKEW_MS) return undefined;
  return `must not be later than its receipt (allowing ${CLOCK_SKEW_MS / 60_000} minutes of clock skew), got ${new Date(atMs).toISOString()}`;
}

/**
 * Why an event's time cannot be used, or undefined when it can: a real RFC 3339 time no later than its
 * receipt (allowing {@link CLOCK_SKEW_MS} of clock skew).
 */
export function eventTimeProblem(text: string, receivedAtMs: number): string | undefined {
  if (!isRfc3339Time(text)) return `must be an RFC 3339 time that exists, got '${text.slice(0, 64)}'`;
  return receiptProblem(Date.parse(text), receivedAtMs);
}
