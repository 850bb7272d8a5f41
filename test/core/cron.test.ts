import { CronField, CronSyntaxError, parseCron } from '../../lambda/core/cron';

function rejectionOf(expression: string): CronSyntaxError {
  try {
    parseCron(expression);
  } catch (error) {
    if (error instanceof CronSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected '${expression}' to be rejected`);
}

describe('parseCron accepts every documented form', () => {
  it('reads the bare body and the wrapped cron(...) form identically, ignoring surrounding whitespace', () => {
    // Prepare
    const bare = '0 3 ? * MON *';

    // Act
    const fromBare = parseCron(bare);
    const fromWrapped = parseCron('  cron(0 3 ? * MON *)\n');
    const fromPaddedWrapped = parseCron('cron(  0  3 ? *  MON * )');

    // Assess
    expect(fromWrapped).toEqual(fromBare);
    expect(fromPaddedWrapped).toEqual(fromBare);
  });

  it.each([
    ['0,15,45', [0, 15, 45]],
    ['10-12', [10, 11, 12]],
    ['0/15', [0, 15, 30, 45]],
    ['7/20', [7, 27, 47]],
    ['*/20', [0, 20, 40]],
    ['5-50/10', [5, 15, 25, 35, 45]],
    ['45,5,5,30', [5, 30, 45]],
    ['1-3,50-59/4', [1, 2, 3, 50, 54, 58]],
  ])('expands minutes %s to %j', (minutes, expected) => {
    // Act
    const spec = parseCron(`${minutes} * * * ? *`);

    // Assess
    expect(spec.minutes).toEqual(expected);
  });

  it('expands * to every value of minutes, hours and month', () => {
    // Act
    const spec = parseCron('* * * * ? *');

    // Assess
    expect(spec.minutes).toEqual(Array.from({ length: 60 }, (_, minute) => minute));
    expect(spec.hours).toEqual(Array.from({ length: 24 }, (_, hour) => hour));
    expect(spec.months).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it.each([
    ['*/6', [0, 6, 12, 18]],
    ['9-17/4', [9, 13, 17]],
    ['23', [23]],
  ])('expands hours %s to %j', (hours, expected) => {
    // Act
    const spec = parseCron(`0 ${hours} * * ? *`);

    // Assess
    expect(spec.hours).toEqual(expected);
  });

  it.each([
    ['JAN-MAR', [1, 2, 3]],
    ['jul,Dec', [7, 12]],
    ['FEB,6', [2, 6]],
    ['*/4', [1, 5, 9]],
    ['MAR/3', [3, 6, 9, 12]],
  ])('expands month %s to %j, names case-insensitively', (month, expected) => {
    // Act
    const spec = parseCron(`0 0 1 ${month} ? *`);

    // Assess
    expect(spec.months).toEqual(expected);
  });

  it.each([
    ['2030', [2030]],
    ['2030-2032', [2030, 2031, 2032]],
    ['2190/5', [2190, 2195]],
  ])('expands year %s to %j', (year, expected) => {
    // Act
    const spec = parseCron(`0 0 1 1 ? ${year}`);

    // Assess
    expect(spec.years).toEqual(expected);
  });

  it('expands a year * to every year from 1970 to 2199', () => {
    // Act
    const spec = parseCron('0 0 1 1 ? *');

    // Assess
    expect(spec.years[0]).toBe(1970);
    expect(spec.years[spec.years.length - 1]).toBe(2199);
    expect(spec.years).toHaveLength(230);
  });

  it.each([
    ['0 10 * * ? *', 'every day at 10:00'],
    ['0/10 * ? * MON-FRI *', 'every 10 minutes on weekdays'],
    ['0/5 8-17 ? * MON-FRI *', 'every 5 minutes in office hours'],
    ['0 9 ? * 2#1 *', 'the first Monday of each month'],
    ['0 0 1/5 * ? *', "'/' in day-of-month"],
    ['0 0 1-15 * ? *', 'a day-of-month range'],
    ['0 0 L * ? *', 'the last day of the month'],
    ['0 0 15W * ? *', 'the weekday nearest the 15th'],
    ['0 0 ? * 6L *', 'the last Friday'],
    ['0 0 ? * L *', "a lone 'L' in day-of-week"],
    ['0 0 ? * MON,WED,FRI *', 'a day-of-week list'],
    ['0 0 ? * SUN-SAT *', 'a day-of-week range'],
    ['0 0 ? * * *', "'*' in day-of-week"],
  ])('accepts %j (%s)', (expression) => {
    // Act
    const parse = () => parseCron(expression);

    // Assess
    expect(parse).not.toThrow();
  });
});

describe('parseCron rejects what EventBridge Scheduler rejects, naming field, value and fix', () => {
  it.each<[string, CronField, string, string]>([
    // out of range
    ['75 * * * ? *', 'minutes', '75', "minutes value '75' is out of range: use 0-59"],
    ['0 24 * * ? *', 'hours', '24', "hours value '24' is out of range: use 0-23"],
    ['0 0 32 * ? *', 'dayOfMonth', '32', "day-of-month value '32' is out of range: use 1-31"],
    ['0 0 0 * ? *', 'dayOfMonth', '0', "day-of-month value '0' is out of range: use 1-31"],
    ['0 0 1 13 ? *', 'month', '13', "month value '13' is out of range: use 1-12 or JAN-DEC"],
    ['0 0 ? * 8 *', 'dayOfWeek', '8', "day-of-week value '8' is out of range: use 1-7 or SUN-SAT"],
    ['0 0 ? * 0 *', 'dayOfWeek', '0', "day-of-week value '0' is out of range: use 1-7 or SUN-SAT"],
    ['0 0 1 1 ? 1969', 'year', '1969', "year value '1969' is out of range: use 1970-2199"],
    ['0 0 1 1 ? 2030-2200', 'year', '2200', "year value '2200' is out of range: use 1970-2199"],
    ['0 0 32W * ? *', 'dayOfMonth', '32', "day-of-month value '32' is out of range: use 1-31"],
    ['0 0 ? * 9L *', 'dayOfWeek', '9', "day-of-week value '9' is out of range: use 1-7 or SUN-SAT"],
    ['0 0 ? * 2#6 *', 'dayOfWeek', '2#6', "day-of-week value '2#6' has occurrence '6' after '#': use 1-5, as in '2#1' for the first Monday"],
    ['0 0 ? * 2#0 *', 'dayOfWeek', '2#0', "day-of-week value '2#0' has occurrence '0' after '#': use 1-5, as in '2#1' for the first Monday"],
    // bad step
    ['*/0 * * * ? *', 'minutes', '*/0', "minutes value '*/0' has a bad step: the step must be a positive integer, as in '*/5'"],
    ['0/x * * * ? *', 'minutes', '0/x', "minutes value '0/x' has a bad step: the step must be a positive integer, as in '*/5'"],
    ['0/ * * * ? *', 'minutes', '0/', "minutes value '0/' has a bad step: the step must be a positive integer, as in '*/5'"],
    ['0 0/-2 * * ? *', 'hours', '0/-2', "hours value '0/-2' has a bad step: the step must be a positive integer, as in '*/5'"],
    ['0/1.5 * * * ? *', 'minutes', '0/1.5', "minutes value '0/1.5' has a bad step: the step must be a positive integer, as in '*/5'"],
    ['0/5/2 * * * ? *', 'minutes', '0/5/2', "minutes value '0/5/2' is not valid: use a single '/', as in '0/15'"],
    // reversed range
    ['0 5-2 * * ? *', 'hours', '5-2', "hours value '5-2' is a reversed range: start must not exceed end, as in '2-5'"],
    ['0 0 1 DEC-JAN ? *', 'month', 'DEC-JAN', "month value 'DEC-JAN' is a reversed range: start must not exceed end, as in 'JAN-DEC'"],
    ['0 0 ? * FRI-MON *', 'dayOfWeek', 'FRI-MON', "day-of-week value 'FRI-MON' is a reversed range: start must not exceed end, as in 'MON-FRI'"],
    // ? misuse
    ['? * * * ? *', 'minutes', '?', "minutes value '?' is not allowed: '?' is only valid in day-of-month or day-of-week"],
    ['0 0 1 ? ? *', 'month', '?', "month value '?' is not allowed: '?' is only valid in day-of-month or day-of-week"],
    ['0 0 1 1 ? ?', 'year', '?', "year value '?' is not allowed: '?' is only valid in day-of-month or day-of-week"],
    ['0 3 ? * ? *', 'dayOfWeek', '?', "day-of-month and day-of-week: exactly one must be '?', got '?' and '?'"],
    ['0 3 * * MON *', 'dayOfMonth', '*', "day-of-month and day-of-week: exactly one must be '?', got '*' and 'MON'"],
    ['0 3 15 * MON *', 'dayOfMonth', '15', "day-of-month and day-of-week: exactly one must be '?', got '15' and 'MON'"],
    ['0 3 * * * *', 'dayOfMonth', '*', "day-of-month and day-of-week: exactly one must be '?', got '*' and '*'"],
    ['0 0 1,? * ? *', 'dayOfMonth', '1,?', "day-of-month value '1,?' is not allowed: '?' must be the whole field"],
    ['0 0 ? * 1,? *', 'dayOfWeek', '1,?', "day-of-week value '1,?' is not allowed: '?' must be the whole field"],
    // W, L and # outside their field or not alone
    ['0 0 ? * 5W *', 'dayOfWeek', '5W', "day-of-week value '5W' is not allowed: 'W' is only valid in day-of-month, as in '15W'"],
    ['0 5W * * ? *', 'hours', '5W', "hours value '5W' is not allowed: 'W' is only valid in day-of-month, as in '15W'"],
    ['0 0 1,15W * ? *', 'dayOfMonth', '1,15W', "day-of-month value '1,15W' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
    ['0 0 1-15W * ? *', 'dayOfMonth', '1-15W', "day-of-month value '1-15W' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
    ['0 0 15W-20 * ? *', 'dayOfMonth', '15W-20', "day-of-month value '15W-20' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
    ['0 0 15W/2 * ? *', 'dayOfMonth', '15W/2', "day-of-month value '15W/2' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
    ['0 0 5,1-15W * ? *', 'dayOfMonth', '5,1-15W', "day-of-month value '5,1-15W' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
    ['0 0 L-5 * ? *', 'dayOfMonth', 'L-5', "day-of-month value 'L-5' is not allowed: 'L' must be the whole field"],
    ['L * * * ? *', 'minutes', 'L', "minutes value 'L' is not allowed: 'L' is only valid in day-of-month or day-of-week"],
    ['0 0 1 L ? *', 'month', 'L', "month value 'L' is not allowed: 'L' is only valid in day-of-month or day-of-week"],
    ['0 0 6L * ? *', 'dayOfMonth', '6L', "day-of-month value '6L' is not allowed: 'NL' is only valid in day-of-week: use 'L' for the last day of the month"],
    ['0 0 1,L * ? *', 'dayOfMonth', '1,L', "day-of-month value '1,L' is not allowed: 'L' must be the whole field"],
    ['0 0 ? * 2,6L *', 'dayOfWeek', '2,6L', "day-of-week value '2,6L' is not allowed: 'NL' must be the whole field, as in '6L'"],
    ['0 0 2#1 * ? *', 'dayOfMonth', '2#1', "day-of-month value '2#1' is not allowed: '#' is only valid in day-of-week, as in '2#1'"],
    ['0 2#1 * * ? *', 'hours', '2#1', "hours value '2#1' is not allowed: '#' is only valid in day-of-week, as in '2#1'"],
    ['0 0 ? * 2#1,3 *', 'dayOfWeek', '2#1,3', "day-of-week value '2#1,3' is not allowed: '#' must be the whole field, as in '2#1'"],
    ['0 0 ? * 3#1,6#3 *', 'dayOfWeek', '3#1,6#3', "day-of-week value '3#1,6#3' is not allowed: '#' must be the whole field, as in '2#1'"],
    ['0 0 ? * 2#1-3 *', 'dayOfWeek', '2#1-3', "day-of-week value '2#1-3' is not allowed: '#' must be the whole field, as in '2#1'"],
    // '/' is not in the day-of-week grammar
    ['0 0 ? * */2 *', 'dayOfWeek', '*/2', "day-of-week value '*/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
    ['0 0 ? * MON/2 *', 'dayOfWeek', 'MON/2', "day-of-week value 'MON/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
    ['0 0 ? * 1-7/2 *', 'dayOfWeek', '1-7/2', "day-of-week value '1-7/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
    ['0 0 ? * SUN,MON-FRI/2 *', 'dayOfWeek', 'MON-FRI/2', "day-of-week value 'MON-FRI/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
    ['0 0 ? * 6L/2 *', 'dayOfWeek', '6L/2', "day-of-week value '6L/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
    // LW
    ['0 0 LW * ? *', 'dayOfMonth', 'LW', "day-of-month value 'LW' is not supported by EventBridge Scheduler: use 'L' for the last day or 'NW' for the weekday nearest day N"],
    // wrong field count
    ['0 3 * * ?', 'expression', '0 3 * * ?', "expression value '0 3 * * ?' has 5 field(s): use 6 (minutes hours day-of-month month day-of-week year)"],
    ['0 0 3 * * ? *', 'expression', '0 0 3 * * ? *', "expression value '0 0 3 * * ? *' has 7 field(s): use 6 (minutes hours day-of-month month day-of-week year)"],
    ['   ', 'expression', '', "expression value '' has 0 field(s): use 6 (minutes hours day-of-month month day-of-week year)"],
    ['cron()', 'expression', '', "expression value '' has 0 field(s): use 6 (minutes hours day-of-month month day-of-week year)"],
    // garbage
    ['abc * * * ? *', 'minutes', 'abc', "minutes value 'abc' is not valid: use 0-59 with ',', '-', '*' or '/'"],
    ['1,,2 * * * ? *', 'minutes', '1,,2', "minutes value '1,,2' has an empty list item: remove the extra ','"],
    ['0 0 1, * ? *', 'dayOfMonth', '1,', "day-of-month value '1,' has an empty list item: remove the extra ','"],
    ['-5 * * * ? *', 'minutes', '-5', "minutes value '-5' is not valid: use 0-59 with ',', '-', '*' or '/'"],
    ['1-2-3 * * * ? *', 'minutes', '1-2-3', "minutes value '1-2-3' is not valid: use 0-59 with ',', '-', '*' or '/'"],
    ['0 0 1 FOO ? *', 'month', 'FOO', "month value 'FOO' is not valid: use 1-12 or JAN-DEC with ',', '-', '*' or '/'"],
    ['0 0 ? * MONDAY *', 'dayOfWeek', 'MONDAY', "day-of-week value 'MONDAY' is not valid: use 1-7 or SUN-SAT with ',', '-' or '*'"],
    ['0 0 1 1 ? JAN', 'year', 'JAN', "year value 'JAN' is not valid: use 1970-2199 with ',', '-', '*' or '/'"],
    ['rate(5 minutes)', 'expression', 'rate(5 minutes)', "expression value 'rate(5 minutes)' is not a cron expression: use cron(minutes hours day-of-month month day-of-week year)"],
    ['cron(0 3 ? * MON *', 'expression', 'cron(0 3 ? * MON *', "expression value 'cron(0 3 ? * MON *' is not a cron expression: use cron(minutes hours day-of-month month day-of-week year)"],
  ])('rejects %j in %s (value %j)', (expression, field, value, message) => {
    // Act
    const error = rejectionOf(expression);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.field).toBe(field);
    expect(error.value).toBe(value);
    expect(error.message).toBe(message);
  });
});
