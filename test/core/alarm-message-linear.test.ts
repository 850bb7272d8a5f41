import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAlarmMessage } from '../../lambda/core/alarm-message';
import { parseViolations } from '../../lambda/core/drift';

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** The fixture alarm message with its state reason replaced. */
function alarmWithReason(reason: string): string {
  const record = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'events/sns-cloudwatch-alarm-record.json'), 'utf8'));
  const message = JSON.parse(record.Records?.[0]?.Sns?.Message ?? record.Sns?.Message ?? record.Message);
  return JSON.stringify({ ...message, NewStateReason: reason });
}

/** The fastest of several runs, in milliseconds: the least disturbed by a loaded machine. */
function fastest(run: () => void, times = 5): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return Math.max(best, 0.05);
}

describe('parsers of untrusted text run in linear time', () => {
  test('a 250 KB alarm reason of digits that never closes its datapoint costs about what its size does, not its square', () => {
    const small = alarmWithReason(`Threshold Crossed: 1 datapoints [${'9'.repeat(2_500)}`);
    const large = alarmWithReason(`Threshold Crossed: 1 datapoints [${'9'.repeat(250_000)}`);

    const ratio = fastest(() => parseAlarmMessage(large)) / fastest(() => parseAlarmMessage(small));

    // 100 times the input: linear work costs ~100x (plus fixed costs), quadratic work would cost ~10,000x.
    expect(ratio).toBeLessThan(1_000);
    const parsed = parseAlarmMessage(large);
    expect(parsed.ok && parsed.value.state).toBe('ALARM');
    expect(parsed.ok && parsed.value.breachingValue).toBeUndefined();
  });

  test('many unclosed datapoint lists in one reason are read no further than a state reason can be long', () => {
    const reason = `${'datapoints [1'.repeat(20_000)}`;
    const parsed = parseAlarmMessage(alarmWithReason(reason));

    expect(parsed.ok).toBe(true);
  });

  test('a violations report whose description is a 250 KB run of digits is rejected in linear time, naming the entry', () => {
    const report = (digits: number) => JSON.stringify({
      violations: [{ feature_name: 'f', constraint_check_type: 'baseline_drift_check', description: `Numerical distance: ${'1'.repeat(digits)} exceeds` }],
    });
    const small = report(2_500);
    const large = report(250_000);

    const ratio = fastest(() => parseViolations(large)) / fastest(() => parseViolations(small));

    expect(ratio).toBeLessThan(1_000);
    const parsed = parseViolations(large);
    expect(parsed.ok && parsed.value.unknown[0]).toMatchObject({ index: 0, problem: expect.stringContaining('violations[0].description') });
  });
});
