import { EMPTY_STATE, type PendingApproval, type PipelineState, type StartRequest } from '../../lambda/core/coordination';
import { DEFAULT_POLICY, type CoordinatorPolicy } from '../../lambda/core/contracts/coordinator';

// Where the expected values in the coordination tests come from, unless a test says otherwise:
//   - Defaults (6 h = 21,600,000 ms, 4 runs, budget 1000, cost 150 per run + 100 % per 100 GB) are
//     the coordinator's specification.
//   - Time-zone facts were checked against Python's zoneinfo (system tzdata), not against this code:
//     Europe/Berlin is UTC+1 in winter, UTC+2 in summer; EU DST starts on the last Sunday of March
//     (2027-03-28) and ends on the last Sunday of October (2027-10-31). America/New_York is UTC-5 /
//     UTC-4; US DST starts on the second Sunday of March (2027-03-14) and ends on the first Sunday
//     of November (2027-11-07). Weekdays read off Python's `calendar` module.

export const HOUR = 3_600_000;
export const utc = (iso: string): number => Date.parse(iso);
export const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function request(overrides: Partial<StartRequest> = {}): StartRequest {
  return { requestId: 'req-1', pipelineName: 'churn-model', triggerType: 'scheduled', reason: 'nightly retrain', priority: 3, ...overrides };
}

export function policy(overrides: Partial<CoordinatorPolicy> = {}): CoordinatorPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

export function state(overrides: Partial<PipelineState> = {}): PipelineState {
  return { ...EMPTY_STATE, version: 7, sequence: 12, ...overrides };
}

export const NOON = utc('2027-06-15T12:00:00Z');
export const TODAY = '2027-06-15';

export function pending(overrides: Partial<PendingApproval> = {}): PendingApproval {
  return {
    requestId: 'approve-me', triggerType: 'drift', reason: 'PSI 0.31 on feature tenure', priority: 3,
    requestedAtMs: NOON - HOUR, estimatedCost: 150, parameters: { Region: 'eu' }, ...overrides,
  };
}
