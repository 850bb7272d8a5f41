import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { HandlerServices, type FakeSns } from './handler-harness';
import { setEnv, type FakeSageMaker } from './local-services';

export type DriftHandler = typeof import('../../lambda/aws/drift').handler;

const FIXTURES = path.resolve(__dirname, '../fixtures');
export const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
export const BUCKET = 'churn-model-monitor';
export const TEAM = 'arn:aws:sns:eu-west-1:123456789012:drift-team';
export const REVIEW = 'arn:aws:sns:eu-west-1:123456789012:drift-review';
/** The fixture alarm watches feature_baseline_drift_total_amount of churn-prod / churn-data-quality. */
export const SCHEDULE_PREFIX = 'model-monitor/churn-prod/churn-data-quality/';

/** The SNS fixture, delivering `message`. */
export function snsRecord(message: string) {
  const event = JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json'));
  event.Records[0].Sns.Message = message;
  return event;
}
export const alarmMessage = () => JSON.parse(JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json')).Records[0].Sns.Message);
export const violations = (entries: Array<Record<string, string>>) => JSON.stringify({ violations: entries });
export const drift = (feature: string, distance: number) => ({
  feature_name: feature,
  constraint_check_type: 'baseline_drift_check',
  description: `Numerical distance: ${distance} exceeds numerical threshold: 0.1`,
});

/** The alarm of one feature of the fixture's monitoring schedule, going into ALARM at `changedAt`. */
export function featureAlarm(feature: string, changedAt: string) {
  const message = alarmMessage();
  return snsRecord(
    JSON.stringify({
      ...message,
      AlarmName: `churn-drift-${feature}`,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-drift-${feature}`,
      StateChangeTime: changedAt,
      Trigger: { ...message.Trigger, MetricName: `feature_baseline_drift_${feature}` },
    }),
  );
}

/** The drift evaluator's surroundings: S3 with the monitoring bucket, SageMaker, SNS, and the functions it may ask. */
export class DriftWorld {
  /** What the coordinator was asked, in order. */
  readonly coordinatorRequests: unknown[] = [];
  /** What the approval gate was asked, in order. */
  readonly gateRequests: unknown[] = [];
  private running?: { readonly services: HandlerServices; readonly client: S3Client };

  async start(): Promise<void> {
    const services = await HandlerServices.start({
      s3: true,
      sns: true,
      lambda: {
        // Stands in for the coordinator's answer; the coordinator itself is tested on its own.
        'coordinator-fn': async (payload) => {
          this.coordinatorRequests.push(payload);
          return { requestId: 'r', start: true, reason: 'started', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/coord1' };
        },
        // The trigger's approval gate, which parks what needs approval.
        'gate-fn': async (payload) => {
          this.gateRequests.push(payload);
          return { requestId: 'r', start: false, reason: 'awaiting-approval' };
        },
      },
    });
    const client = new S3Client({});
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    this.running = { services, client };
  }

  get client(): S3Client {
    return this.started().client;
  }

  get sagemaker(): FakeSageMaker {
    return this.started().services.sagemaker;
  }

  get sns(): FakeSns {
    return this.started().services.sns;
  }

  /** The handler as deployed for one trigger: its settings are read once, when the module loads. */
  async handlerWith(overrides: Record<string, unknown> = {}, prefix = 'model-monitor/'): Promise<DriftHandler> {
    const settings = {
      triggerId: 'Stack/Drift',
      pipelineName: `churn-${Object.keys(overrides).join('-') || 'default'}-${Math.random().toString(36).slice(2, 8)}`,
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: false },
      // The fixture's alarm by ARN, and the per-feature alarms the tests make by prefix.
      alarms: { arns: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected'], names: [], namePrefixes: ['churn-drift-'] },
      monitoringOutput: { bucket: BUCKET, prefix },
      parameters: { TrainingMode: 'drift' },
      teamTopicArn: TEAM,
      humanReviewTopicArn: REVIEW,
      approvalFunction: 'gate-fn',
      ...overrides,
    };
    const restoreSettings = setEnv({ DRIFT_SETTINGS: JSON.stringify(settings) });
    let loaded: DriftHandler | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = (await import('../../lambda/aws/drift')).handler;
    });
    restoreSettings();
    return loaded!;
  }

  /** Writes a monitoring execution's violations report for the hour `hourPath` (`yyyy/mm/dd/hh`). */
  async putReport(hourPath: string, body: string, prefix = SCHEDULE_PREFIX): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${hourPath}/constraint_violations.json`, Body: body }));
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.started().services.stop();
  }

  private started() {
    if (!this.running) throw new Error('start() first');
    return this.running;
  }
}
