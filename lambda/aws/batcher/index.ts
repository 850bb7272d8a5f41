import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { fromSource, isLibraryManifest } from '../../core/batching';
import { parseBatchTriggerConfig, type BatchTriggerConfig } from '../../core/contracts/batch';
import { isRecord, type FieldError } from '../../core/result';
import { eventTimeProblem } from '../../core/event-time';
import { parseObjectCreated } from '../../core/s3-object-created';
import { MetricDimension, MetricName, MetricService, TriggerTypeDimension } from '../../core/contracts/metrics';
import { SSMClient } from '@aws-sdk/client-ssm';
import { HandlerShell } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { ManifestWriter } from '../adapters/manifest-writer';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { BatchRecordStore } from './batch-record-store';
import { TriggerStateStore } from './trigger-state-store';
import { Batcher, type BatcherObserver } from './batcher';

const shell = new HandlerShell({ serviceName: MetricService.DataArrivalBatcher, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected an event that is not a valid data-arrival event' });
const { logger, metrics } = shell;
const dynamodb = new DynamoDBClient({});
const tableName = process.env.BATCH_TABLE_NAME ?? '';
const state = new TriggerStateStore(dynamodb, tableName);
const configs = new TriggerConfigs<BatchTriggerConfig>(new SSMClient({}), () => configSourceFromEnv(process.env), parseBatchTriggerConfig, () => Date.now());
const batcher = new Batcher({
  state,
  records: new BatchRecordStore(dynamodb, tableName),
  manifests: new ManifestWriter(new S3Client({})),
  launchers: deployedLaunchers(),
  observer: observer(),
  now: () => Date.now(),
  newEpoch: () => randomUUID(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

/** What the batcher answers: useful in logs and tests; EventBridge and the scheduler ignore it. */
export type BatcherResult =
  | { readonly status: 'accepted' | 'duplicate' | 'ignored' | 'flushed' }
  | { readonly status: 'rejected'; readonly error: FieldError };

/**
 * Receives `{ triggerId, event }` from a data-arrival trigger's rule (an S3 Object Created event) or
 * `{ flush: { triggerIds } }` from the flush schedule. Each trigger's configuration is read from what
 * the deployment wrote for it, never from the invocation.
 */
export const handler = shell.handler(
  async (input): Promise<BatcherResult> => (isRecord(input) && 'flush' in input ? await flush(input.flush) : await arrive(input)),
);

async function arrive(input: unknown): Promise<BatcherResult> {
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with triggerId and event' });
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject(config.error);
  const object = parseObjectCreated(input.event);
  if (!object.ok) return shell.reject({ field: object.error.field === 'event' ? 'event' : `event.${object.error.field}`, problem: object.error.problem });
  const timeProblem = eventTimeProblem(object.value.eventTime, Date.now());
  if (timeProblem) return shell.reject({ field: 'event.time', problem: timeProblem });
  if (!fromSource(config.value.source, object.value)) {
    // Only a forged invocation carries an object the trigger's rule would not have passed.
    return shell.reject({ field: 'event.detail.object.key', problem: `is not an object of trigger ${config.value.triggerId}'s bucket, prefix and suffix` });
  }
  metrics.addMetric(MetricName.EventsReceived, MetricUnit.Count, 1);
  if (isLibraryManifest(object.value, config.value)) {
    logger.debug('ignored a manifest written by a trigger of the library', { key: object.value.key });
    return { status: 'ignored' };
  }
  return { status: await batcher.arrive(config.value, object.value) };
}

async function flush(request: unknown): Promise<BatcherResult> {
  const ids = isRecord(request) ? request.triggerIds : undefined;
  if (!Array.isArray(ids) || ids.length > 10_000 || ids.some((id) => typeof id !== 'string')) {
    return shell.reject({ field: 'flush.triggerIds', problem: 'must be a list of at most 10,000 trigger ids' });
  }
  for (const triggerId of new Set(ids as string[])) {
    try {
      const config = await configs.get(triggerId);
      if (!config.ok) {
        logger.warn('skipped a flush for an id that names no usable trigger', { triggerId, field: config.error.field, problem: config.error.problem });
        continue;
      }
      await batcher.flush(config.value);
    } catch (error) {
      // One trigger's trouble must not keep the others' batches from starting.
      logger.error('flush failed for a trigger', { triggerId, error: error as Error });
    }
  }
  return { status: 'flushed' };
}

function observer(): BatcherObserver {
  return {
    duplicate: (config, identity) => {
      logger.info('counted a redelivered object once', { triggerId: config.triggerId, identity });
      metrics.addMetric(MetricName.DuplicateEvents, MetricUnit.Count, 1);
    },
    accepted: (config, slot) => {
      logger.debug('object took a slot', { triggerId: config.triggerId, generation: slot.generation, slot: slot.slot });
      metrics.addMetric(MetricName.ObjectsBatched, MetricUnit.Count, 1);
    },
    sealed: (config, batch, slots) => {
      logger.info('sealed a batch', { triggerId: config.triggerId, generation: batch.generation, slots });
      metrics.addMetric(MetricName.BatchesSealed, MetricUnit.Count, 1);
    },
    started: (config, batch, objectCount, executionArn, ageMs) => {
      logger.info('started the pipeline for a batch', { triggerId: config.triggerId, generation: batch.generation, objectCount, executionArn });
      metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
      metrics.addMetric(MetricName.BatchSize, MetricUnit.Count, objectCount);
      metrics.addMetric(MetricName.SealToStartLatency, MetricUnit.Milliseconds, ageMs);
    },
    oldestBatchAge: (config, ageMs) => {
      const metric = metrics.singleMetric();
      metric.addDimensions({ [MetricDimension.TriggerType]: TriggerTypeDimension.DataArrival, [MetricDimension.TriggerId]: config.triggerId });
      metric.addMetric(MetricName.OldestBatchAge, MetricUnit.Seconds, Math.round(ageMs / 1000));
    },
    deferred: (config, batch, reason, untilMs) => {
      logger.info('the coordinator deferred a batch', { triggerId: config.triggerId, generation: batch.generation, reason, until: new Date(untilMs).toISOString() });
      metrics.addMetric(MetricName.BatchesDeferred, MetricUnit.Count, 1);
    },
    startFailed: (config, batch, attempt, error, final) => {
      logger.error(final ? 'gave up starting a batch' : 'could not start a batch; it will be retried', {
        triggerId: config.triggerId,
        generation: batch.generation,
        attempt,
        errorName: error.name,
        errorMessage: error.message,
      });
      metrics.addMetric(MetricName.StartFailures, MetricUnit.Count, 1);
      if (final) metrics.addMetric(MetricName.BatchesFailed, MetricUnit.Count, 1);
    },
  };
}
