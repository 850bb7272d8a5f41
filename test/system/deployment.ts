/** The modelled deployment: its pipelines and triggers, and the shape of one seed's run (its plan). */
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import type { CoordinatorPolicy } from '../../lambda/core/contracts/coordinator';
import type { DriftConfig, DriftTriggerSettings } from '../../lambda/core/contracts/drift';
import { parseEventTriggerConfig, type EventTriggerConfig } from '../../lambda/core/contracts/event-trigger';
import { seeded } from '../support/batcher-env';
import { HOURLY_DEADLINE } from './model-calendar';
import { joinModeTriggers } from './model-join-modes';
import { scheduleGated } from './model-batch-schedule';
import { scheduledCheckOf } from './model-scheduled-check';
import type { ScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import { COORDINATOR_FUNCTION, MANIFEST_BUCKET, MONITOR_BUCKET } from './system';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Drift bands the model raises, with a distance in each and what the trigger should do about it. */
export const BANDS = {
  low: { distance: 0.05, starts: false },
  medium: { distance: 0.2, starts: true },
  high: { distance: 0.4, starts: true },
  critical: { distance: 0.7, starts: false },
} as const;
export type Band = keyof typeof BANDS;
const DRIFT_CONFIG: DriftConfig = { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true };

/** One seed's shape: drawn from the seed, printed with a failure so that the run can be replayed. */
export interface Plan {
  readonly seed: number;
  readonly steps: number;
  readonly crashProbability: number;
  readonly policy: Pick<CoordinatorPolicy, 'minIntervalMs' | 'maxDailyRuns' | 'dailyBudget'>;
  readonly batchSize: number;
  readonly maxStartAttempts: number;
  /** How objects reach the batcher: message batches from the arrival queue, or each event on its own. */
  readonly delivery: 'queue' | 'per-event';
}

export function planOf(seed: number, steps?: number, delivery: Plan['delivery'] = 'per-event'): Plan {
  const random = seeded(seed ^ 0x5eed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  return {
    seed,
    steps: steps ?? 40 + Math.floor(random() * 30),
    crashProbability: pick([0.01, 0.03, 0.05]),
    policy: { minIntervalMs: pick([0, 30 * MINUTE, 2 * HOUR]), maxDailyRuns: pick([2, 4, 8]), dailyBudget: pick([500, 1000, 5000]) },
    batchSize: pick([2, 3, 5]),
    maxStartAttempts: pick([2, 3, 5]),
    delivery,
  };
}

/** The pipelines and triggers of the modelled deployment. */
export interface Deployment {
  readonly shared: string;
  readonly joined: string;
  readonly direct: string;
  readonly chained: string;
  /** Started directly by the per-key join: one run per model whose training and evaluation both arrived. */
  readonly keyed: string;
  /** Started directly by the debounced trigger: one run per burst of publications. */
  readonly debounced: string;
  /** Started directly by the 2-of-3 join, and by the 2-step sequence. */
  readonly quorum: string;
  readonly ordered: string;
  /** Started directly by the schedule-gated trigger: one run per firing of its batch schedule that found objects. */
  readonly gated: string;
  readonly coordinatedPipelines: readonly string[];
  readonly coordinatedBatch: BatchTriggerConfig;
  readonly directBatch: BatchTriggerConfig;
  readonly gatedBatch: BatchTriggerConfig;
  /** At least every 6 hours on the direct pipeline: a scheduled trigger's `unlessRanWithin`. */
  readonly scheduledCheck: ScheduledCheckConfig;
  readonly eventTrigger: EventTriggerConfig;
  readonly joinTrigger: EventTriggerConfig;
  readonly chainTrigger: EventTriggerConfig;
  readonly keyedJoinTrigger: EventTriggerConfig;
  readonly debouncedTrigger: EventTriggerConfig;
  readonly quorumTrigger: EventTriggerConfig;
  readonly sequenceTrigger: EventTriggerConfig;
  readonly drift: DriftTriggerSettings;
}

export function deploymentOf(plan: Plan): Deployment {
  const shared = 'shared-pipeline';
  const joined = 'joined-pipeline';
  const direct = 'direct-pipeline';
  const chained = 'chained-pipeline';
  const keyed = 'keyed-pipeline';
  const debounced = 'debounced-pipeline';
  const [quorum, ordered, gated] = ['quorum-pipeline', 'ordered-pipeline', 'gated-pipeline'];
  const joinModes = joinModeTriggers(quorum, ordered);
  const batch = (triggerId: string, pipelineName: string, coordinated: boolean): BatchTriggerConfig => ({
    triggerId,
    pipelineName,
    source: { bucket: 'system-data' },
    batchSize: plan.batchSize,
    batchWindowSeconds: 1800,
    manifestBucket: MANIFEST_BUCKET,
    manifestPrefix: 'manifests/',
    manifestParameterName: 'ManifestS3Uri',
    countParameterName: 'ObjectCount',
    parameters: { TrainingMode: 'data-arrival' },
    maxStartAttempts: plan.maxStartAttempts,
    ...(coordinated ? { coordinatorFunction: COORDINATOR_FUNCTION, priority: 3 } : {}),
  });
  const event = (input: Record<string, unknown>): EventTriggerConfig => {
    const parsed = parseEventTriggerConfig(input);
    if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
    return parsed.value;
  };
  return {
    shared,
    joined,
    direct,
    chained,
    keyed,
    debounced,
    quorum,
    ordered,
    gated,
    coordinatedPipelines: [shared, joined],
    coordinatedBatch: batch('labels', shared, true),
    directBatch: { ...batch('clicks', direct, false), calendar: HOURLY_DEADLINE },
    gatedBatch: scheduleGated(batch('hourly-close', gated, false), gated),
    scheduledCheck: scheduledCheckOf(direct),
    eventTrigger: event({
      triggerId: 'model-added', pipelineName: shared, mode: 'event', events: ['model.added'], pattern: { 'detail-type': ['model.added'] },
      parameters: { EventId: '{{ event.eventId }}' }, coordinatorFunction: COORDINATOR_FUNCTION, priority: 4,
    }),
    joinTrigger: event({
      triggerId: 'data-and-features', pipelineName: joined, mode: 'join', events: ['data_updated', 'features_ready'], windowSeconds: 86_400,
      pattern: { 'detail-type': ['data_updated', 'features_ready'] },
      parameters: { DataEventId: '{{ events.data_updated.eventId }}', FeatureEventId: '{{ events.features_ready.eventId }}' },
      coordinatorFunction: COORDINATOR_FUNCTION, priority: 3,
    }),
    // A window longer than any run of the model: an occurrence never expires, so each key's joins follow from the order alone.
    keyedJoinTrigger: event({
      triggerId: 'per-model', pipelineName: keyed, mode: 'join', events: ['model_trained', 'model_evaluated'], windowSeconds: 30 * 86_400, forEach: 'model_id',
      pattern: { 'detail-type': ['model_trained', 'model_evaluated'] },
      parameters: { ModelId: '{{ event.model_id }}', TrainedEventId: '{{ events.model_trained.eventId }}', EvaluatedEventId: '{{ events.model_evaluated.eventId }}' },
    }),
    debouncedTrigger: event({
      triggerId: 'model-published', pipelineName: debounced, mode: 'event', events: ['model.published'], pattern: { 'detail-type': ['model.published'] },
      debounceSeconds: 300, debounceQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:system-debounce', parameters: { BurstEventId: '{{ event.eventId }}' },
    }),
    quorumTrigger: event(joinModes.quorum),
    sequenceTrigger: event(joinModes.sequence),
    chainTrigger: event({ triggerId: 'after-training', pipelineName: chained, mode: 'chain', events: [], pattern: { source: ['aws.sagemaker'] }, parameters: {} }),
    drift: {
      triggerId: 'churn-drift', pipelineName: shared, drift: DRIFT_CONFIG, monitoringOutput: { bucket: MONITOR_BUCKET, prefix: 'monitor/' },
      alarms: { arns: [], names: [], namePrefixes: ['drift-alarm-'] },
      parameters: { TrainingMode: 'drift' }, coordinatorFunction: COORDINATOR_FUNCTION,
      teamTopicArn: 'arn:aws:sns:eu-west-1:123456789012:drift-team', humanReviewTopicArn: 'arn:aws:sns:eu-west-1:123456789012:drift-review',
    },
  };
}
