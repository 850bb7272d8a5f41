import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AlarmTransition, FeatureScore } from '../../lambda/core/drift';
import { parseDriftConfig, type DriftConfig } from '../../lambda/core/contracts/drift';
import type { FieldError, Parsed } from '../../lambda/core/result';

// The fixtures and builders the drift tests share. Every expected number in those tests is read off a
// fixture file or computed by hand in the comment beside it; none is taken from the code under test.

export const FIXTURES = path.resolve(__dirname, '../fixtures');
export const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
export const snsMessage = (): string => JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json')).Records[0].Sns.Message;
export const alarmJson = (): Record<string, unknown> => JSON.parse(snsMessage());
/** The parts of the EventBridge fixture the tests vary. */
export interface StateChangeEvent {
  [key: string]: unknown;
  detail: { state: Record<string, unknown>; previousState: Record<string, unknown>; configuration: { metrics: unknown[] } };
}
export const stateChangeEvent = (): StateChangeEvent => JSON.parse(fixture('events/cloudwatch-alarm-state-change.json'));

export function ok<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected success, got ${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}
export function failure<T>(parsed: Parsed<T>): FieldError {
  if (parsed.ok) throw new Error(`expected a rejection, got ${JSON.stringify(parsed.value)}`);
  return parsed.error;
}
export const violations = (...entries: unknown[]): string => JSON.stringify({ violations: entries });
export const score = (feature: string, value: number, kind: FeatureScore['kind'] = 'numerical-distance'): FeatureScore => ({ feature, score: value, kind, detail: 'test' });
export const config = (overrides: Partial<DriftConfig> = {}): DriftConfig => ({ ...ok(parseDriftConfig(undefined)), ...overrides });

// The transition both fixtures describe, as read off them: names, ARN (AlarmArn / resources[0]), states,
// StateChangeTime / detail.state.timestamp "2024-01-29T13:00:41.232+0000" in UTC, the metric and its
// dimensions, and the datapoint "[0.31 (29/01/24 12:00:00)]" in the reason.
export const FIXTURE_TRANSITION: AlarmTransition = {
  alarmName: 'model-drift-detected',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected',
  state: 'ALARM',
  previousState: 'OK',
  changedAt: '2024-01-29T13:00:41.232Z',
  metricName: 'feature_baseline_drift_total_amount',
  namespace: 'aws/sagemaker/Endpoints/data-metrics',
  dimensions: { Endpoint: 'churn-prod', MonitoringSchedule: 'churn-data-quality' },
  breachingValue: 0.31,
  // Trigger.ComparisonOperator GreaterThanThreshold, Threshold 0.0; the reason says "was greater than the threshold (0.0)".
  breachesWhen: 'higher',
  threshold: 0,
};

export function without<T extends object>(value: T, key: keyof T): T {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
export function withDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const event = stateChangeEvent();
  return { ...event, detail: { ...event.detail, ...detail } };
}
export function withState(state: Record<string, unknown>): Record<string, unknown> {
  const event = stateChangeEvent();
  return withDetail({ state: { ...event.detail.state, ...state } });
}
