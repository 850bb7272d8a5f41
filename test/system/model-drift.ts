import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AlarmTransition } from '../../lambda/core/drift';
import { BANDS, type Band, type Deployment } from './deployment';
import type { Delivery } from './model-delivery';
import type { ModelRecord, Progress } from './model-record';
import { MONITOR_BUCKET, type Services, type System, type VirtualClock } from './system';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ENDPOINT = 'churn-prod';
const SCHEDULE = 'churn-data-quality';
const DRIFT_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/** What a drift occasion of the workload reads and drives; `nextId` is the model's one counter, shared with its other steps. */
export interface DriftStepContext {
  readonly services: Services;
  readonly system: System;
  readonly deployment: Deployment;
  readonly model: ModelRecord;
  readonly clock: VirtualClock;
  readonly delivery: Delivery;
  readonly random: () => number;
  readonly pick: <T>(values: readonly T[]) => T;
  readonly chance: (p: number) => boolean;
  readonly nextId: () => number;
}

/**
 * The workload's drift step: a Model Monitor report at most once an hour, then its feature alarms,
 * each possibly delivered twice by SNS, to the drift evaluator.
 */
export function driftOccasions({ services, system, deployment, model, clock, delivery, random, pick, chance, nextId }: DriftStepContext): () => Promise<void> {
  const { ask, deliver } = delivery;
  let lastReportHour = '';
  return async function driftOccasion(): Promise<void> {
    if (new Date(clock.now()).toISOString().slice(0, 13) === lastReportHour) clock.advance(HOUR);
    // The alarms fire within the hour of their report: an alarm whose time falls in the next hour's folder
    // would, when delivered again after that hour's report was written, be scored against that report.
    if (clock.now() % HOUR > 45 * MINUTE) clock.advance(HOUR - (clock.now() % HOUR) + MINUTE);
    const at = new Date(clock.now()).toISOString();
    lastReportHour = at.slice(0, 13);
    const band = pick(Object.keys(BANDS) as Band[]);
    const features = ['tenure_months', 'plan_type', 'monthly_charges'].slice(0, 1 + Math.floor(random() * 3));
    const key = `monitor/${ENDPOINT}/${SCHEDULE}/${at.slice(0, 4)}/${at.slice(5, 7)}/${at.slice(8, 10)}/${at.slice(11, 13)}/constraint_violations.json`;
    const uri = `s3://${MONITOR_BUCKET}/${key}`;
    const body = JSON.stringify({
      violations: features.map((feature, index) => ({
        feature_name: feature, constraint_check_type: 'baseline_drift_check',
        description: `Numerical distance: ${index === 0 ? BANDS[band].distance : 0.02} exceeds numerical threshold: 0.01`,
      })),
    });
    await services.s3.send(new PutObjectCommand({ Bucket: MONITOR_BUCKET, Key: key, Body: body }));
    const report = { band, alarms: [] as string[] };
    model.reports.set(uri, report);
    clock.advance(5 * MINUTE);
    // One report, several feature alarms, each possibly delivered twice by SNS.
    for (const feature of features) {
      const alarmName = `drift-alarm-${nextId()}-${feature}`;
      report.alarms.push(alarmName);
      const transition: AlarmTransition = {
        alarmName, alarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`, state: 'ALARM', previousState: 'OK',
        changedAt: new Date(clock.now()).toISOString(), metricName: `feature_baseline_drift_${feature}`, namespace: DRIFT_NAMESPACE,
        dimensions: { Endpoint: ENDPOINT, MonitoringSchedule: SCHEDULE }, breachingValue: BANDS[band].distance,
      };
      const evaluate = async (): Promise<Progress> => {
        const outcome = await system.drift.evaluate(deployment.drift, transition);
        if (outcome.status !== 'assessed') return { state: 'done', how: outcome.status };
        if (outcome.started) return { state: 'done', how: 'started' };
        if (outcome.deferred) return ['rejected', 'start-failed'].includes(outcome.deferred) ? { state: 'done', how: outcome.deferred } : { state: 'open', reason: outcome.deferred };
        return { state: 'done', how: `no start: ${outcome.assessment.action}` };
      };
      const asked = model.asked.get(`drift:${uri}`);
      if (!asked) await ask(`drift:${uri}`, `drift alarm ${alarmName}`, evaluate);
      else {
        const progress = await deliver(`drift alarm ${alarmName}`, evaluate);
        if (progress) asked.progress = progress;
      }
      if (chance(0.3)) await deliver(`drift alarm ${alarmName} again`, evaluate);
    }
  };
}
