/**
 * A data-arrival trigger's calendar, as its construct writes it into the trigger's configuration: when data
 * is expected by (a deadline), and when batches close (a batch schedule). Pure: no SDK, no clock.
 */
import { isTimeZone } from '../calendar';
import { CronSyntaxError, parseCron } from '../cron';
import { accept, describe, isRecord, reject, type Parsed } from '../result';

/** What a calendar schedule's invocation asks for: a deadline check, or closing the open batch. */
export type CalendarKind = 'deadline' | 'close';
export const CALENDAR_KINDS: readonly CalendarKind[] = ['deadline', 'close'];

/** A cron schedule read in an IANA time zone, as EventBridge Scheduler evaluates it. */
export interface CalendarSchedule {
  /** `cron(minutes hours day-of-month month day-of-week year)`. */
  readonly schedule: string;
  readonly timeZone: string;
}

/** When data is expected by; at each firing the trigger records whether any object landed since the firing before. */
export interface DeadlineConfig extends CalendarSchedule {
  /** Closes and starts the open batch at every firing, whatever its size. */
  readonly startWithWhatArrived: boolean;
}

export interface ArrivalCalendarConfig {
  readonly deadline?: DeadlineConfig;
  /** Batches close at this schedule's firings instead of by count and window. */
  readonly close?: CalendarSchedule;
}

export const CALENDAR_LIMITS = {
  /** Longest schedule expression and time zone name the contract takes. */
  maxExpressionLength: 256,
  maxTimeZoneLength: 64,
  /**
   * The longest gap a batch schedule may leave between two firings. A batch closed by a schedule keeps a window
   * of that gap plus a day, so that a firing that never comes (a schedule deleted by hand) holds no object forever.
   */
  maxCloseGapSeconds: 366 * 86_400,
  /** How long after one of its firings a calendar invocation is still taken as that firing's. */
  toleranceMs: 15 * 60_000,
  /** How far an invocation may run ahead of the firing it answers: clocks of two services never agree exactly. */
  earlyMs: 5_000,
} as const;

/** The window a batch closed by a schedule keeps: the schedule's longest gap plus a day, for daylight saving time and late firings. */
export function closeWindowSeconds(longestGapSeconds: number): number {
  return longestGapSeconds + 86_400;
}

/** Reads a configuration's `calendar`, absent for a trigger that closes batches by count and window only. */
export function parseArrivalCalendar(input: unknown): Parsed<ArrivalCalendarConfig | undefined> {
  if (input === undefined) return accept(undefined);
  if (!isRecord(input)) return reject('trigger.calendar', `must be an object when present, got ${describe(input)}`);
  let deadline: DeadlineConfig | undefined;
  if (input.deadline !== undefined) {
    const schedule = parseCalendarSchedule(input.deadline, 'trigger.calendar.deadline');
    if (!schedule.ok) return schedule;
    const start = (input.deadline as Record<string, unknown>).startWithWhatArrived;
    if (typeof start !== 'boolean') return reject('trigger.calendar.deadline.startWithWhatArrived', `must be true or false, got ${describe(start)}`);
    deadline = { ...schedule.value, startWithWhatArrived: start };
  }
  let close: CalendarSchedule | undefined;
  if (input.close !== undefined) {
    const schedule = parseCalendarSchedule(input.close, 'trigger.calendar.close');
    if (!schedule.ok) return schedule;
    close = schedule.value;
  }
  return accept({ ...(deadline ? { deadline } : {}), ...(close ? { close } : {}) });
}

function parseCalendarSchedule(input: unknown, path: string): Parsed<CalendarSchedule> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const { schedule, timeZone } = input;
  if (typeof schedule !== 'string' || schedule.length > CALENDAR_LIMITS.maxExpressionLength || !schedule.startsWith('cron(')) {
    return reject(`${path}.schedule`, `must be a cron(...) expression of at most ${CALENDAR_LIMITS.maxExpressionLength} characters`);
  }
  try {
    parseCron(schedule);
  } catch (error) {
    if (error instanceof CronSyntaxError) return reject(`${path}.schedule`, error.message);
    throw error;
  }
  if (typeof timeZone !== 'string' || timeZone.length > CALENDAR_LIMITS.maxTimeZoneLength || !isTimeZone(timeZone)) {
    return reject(`${path}.timeZone`, `must be an IANA time zone name, got ${describe(timeZone)}`);
  }
  return accept({ schedule, timeZone });
}

/** Reads a calendar invocation, `{ triggerId, calendar: 'deadline' | 'close' }`: the only fields it may choose. */
export function parseCalendarInvocation(input: Readonly<Record<string, unknown>>): Parsed<{ readonly triggerId: string; readonly kind: CalendarKind }> {
  const { triggerId, calendar } = input;
  if (typeof triggerId !== 'string' || triggerId.length === 0) return reject('triggerId', `must be a trigger id, got ${describe(triggerId)}`);
  if (typeof calendar !== 'string' || !(CALENDAR_KINDS as readonly string[]).includes(calendar)) {
    return reject('calendar', `must be 'deadline' or 'close', got ${describe(calendar)}`);
  }
  return accept({ triggerId, kind: calendar as CalendarKind });
}

/** The schedule of `kind` in a trigger's calendar, or why the trigger has none. */
export function calendarScheduleOf(triggerId: string, calendar: ArrivalCalendarConfig | undefined, kind: CalendarKind): Parsed<CalendarSchedule> {
  const schedule = kind === 'deadline' ? calendar?.deadline : calendar?.close;
  if (schedule) return accept(schedule);
  return reject('calendar', `is '${kind}', but trigger ${triggerId} has no ${kind === 'deadline' ? 'expectedBy deadline' : 'batchSchedule'}`);
}
