// SageMaker writes an endpoint's capture files to
// `<destination>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/<file>.jsonl`, one folder per UTC hour
// of the inference. A window is read by listing the hour folders it overlaps, then keeping the keys
// whose hour overlaps it: capture files are grouped by hour, so an hour is the finest grain there is.

const HOUR_MS = 3_600_000;

/**
 * The hour folders (UTC, each ending in `/`) that the window [fromMs, toMs) overlaps, oldest first.
 * `prefix` is the capture destination's key prefix (slashes at either end do not matter); without a
 * variant name the hour folders are taken to sit directly below the endpoint's folder.
 */
export function captureHourPrefixes(
  prefix: string,
  endpointName: string,
  variantName: string | undefined,
  fromMs: number,
  toMs: number,
): string[] {
  checkWindow(fromMs, toMs);
  const base = baseOf(prefix, endpointName, variantName);
  const prefixes: string[] = [];
  for (let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS; hour < toMs; hour += HOUR_MS) {
    prefixes.push(`${base}${hourFolder(hour)}`);
  }
  return prefixes;
}

/**
 * Whether `key` is a capture file (`.jsonl`) of this endpoint and variant whose hour folder overlaps
 * the window [fromMs, toMs). Keys of other endpoints or variants, other files and malformed dates
 * are not.
 */
export function isCaptureKeyInWindow(
  key: string,
  prefix: string,
  endpointName: string,
  variantName: string | undefined,
  fromMs: number,
  toMs: number,
): boolean {
  checkWindow(fromMs, toMs);
  const base = baseOf(prefix, endpointName, variantName);
  if (!key.startsWith(base) || !key.endsWith('.jsonl')) return false;
  const parts = key.slice(base.length).split('/');
  if (parts.length !== 5 || parts[4] === '.jsonl') return false;
  const hour = hourOf(parts[0], parts[1], parts[2], parts[3]);
  return hour !== undefined && hour + HOUR_MS > fromMs && hour < toMs;
}

/** The endpoint's folder, `<prefix>/<endpoint-name>/`, whose subfolders are its variants. */
export function captureEndpointPrefix(prefix: string, endpointName: string): string {
  return baseOf(prefix, endpointName, undefined);
}

function checkWindow(fromMs: number, toMs: number): void {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError(`the window must be finite epoch milliseconds, got [${fromMs}, ${toMs})`);
}

/** `<prefix>/<endpoint>/[<variant>/]`, with no leading slash and no empty segment. */
function baseOf(prefix: string, endpointName: string, variantName: string | undefined): string {
  const segments = [trimSlashes(prefix), endpointName, variantName ?? ''].filter((segment) => segment !== '');
  return `${segments.join('/')}/`;
}

/** Drops slashes at either end, without a regex (a prefix is configuration, but need not be trusted). */
function trimSlashes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === '/') start += 1;
  while (end > start && text[end - 1] === '/') end -= 1;
  return text.slice(start, end);
}

function hourFolder(epochMs: number): string {
  const time = new Date(epochMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${time.getUTCFullYear()}/${two(time.getUTCMonth() + 1)}/${two(time.getUTCDate())}/${two(time.getUTCHours())}/`;
}

/** The epoch milliseconds of an hour folder's start, or undefined when the folder is not a real UTC hour. */
function hourOf(year: string, month: string, day: string, hour: string): number | undefined {
  if (!isDigits(year, 4) || !isDigits(month, 2) || !isDigits(day, 2) || !isDigits(hour, 2)) return undefined;
  const [y, m, d, h] = [Number(year), Number(month), Number(day), Number(hour)];
  const start = Date.UTC(y, m - 1, d, h);
  const check = new Date(start);
  // Date.UTC rolls 2026/02/30 over into March; a folder SageMaker wrote never does.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d || check.getUTCHours() !== h) return undefined;
  return start;
}

function isDigits(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (let index = 0; index < length; index += 1) {
    const char = text.charCodeAt(index);
    if (char < 0x30 || char > 0x39) return false;
  }
  return true;
}
