import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { fromSource, isLibraryManifest } from '../../core/batching';
import { parseBatchTriggerConfig, type BatchTriggerConfig } from '../../core/contracts/batch';
import { isRecord, type FieldError } from '../../core/result';
import { eventTimeProblem } from '../../core/event-time';
import { parseObjectCreated, type CreatedObject } from '../../core/s3-object-created';
import { MetricDimension, MetricName, MetricService, TriggerTypeDimension } from '../../core/contracts/metrics';
import { SSMClient } from '@aws-sdk/client-ssm';
import { HandlerShell } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { ManifestWriter } from '../adapters/manifest-writer';
import { ConfigurationHistory } from '../adapters/configuration-history';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { BatchRecordStore } from './batch-record-store';
import { ChunkStore } from './chunk-store';
import { TriggerStateStore } from './trigger-state-store';
import { Batcher, type BatcherObserver } from './batcher';
import { queueRecords, type QueueRecord } from './queue-records';
import { ArrivalCalendar, type CalendarResult } from './calendar';
import { CalendarStateStore } from './calendar-store';
import { CatchUpListing } from './catch-up-listing';
import { CatchUpPending, FollowPerDeployment, followConfigurations, ReEnabler } from './re-enable';
import { ReEnableStore } from './re-enable-store';

const shell = new HandlerShell({ serviceName: MetricService.DataArrivalBatcher, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected an event that is not a valid data-arrival event' });
const { logger, metrics } = shell;
const dynamodb = new DynamoDBClient({});
const tableName = process.env.BATCH_TABLE_NAME ?? '';
const arrivalQueueArn = process.env.ARRIVAL_QUEUE_ARN;
const state = new TriggerStateStore(dynamodb, tableName);
const ssm = new SSMClient({});
const configs = new TriggerConfigs<BatchTriggerConfig>(ssm, () => configSourceFromEnv(process.env), parseBatchTriggerConfig, () => Date.now());
const batcher = new Batcher({
  state,
  records: new BatchRecordStore(dynamodb, tableName),
  chunks: new ChunkStore(dynamodb, tableName),
  manifests: new ManifestWriter(new S3Client({})),
  launchers: deployedLaunchers(),
  observer: observer(),
  now: () => Date.now(),
  newEpoch: () => randomUUID(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
const reEnabler = new ReEnabler({
  records: new ReEnableStore(dynamodb, tableName),
  state,
  headers: new BatchRecordStore(dynamodb, tableName),
  batcher,
  listing: new CatchUpListing(new S3Client({})),
  history: new ConfigurationHistory(ssm, () => configSourceFromEnv(process.env)),
  now: () => Date.now(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  listed: (config, sinceMs, { objects, stoppedEarly }) => logger.info('listed what landed while the trigger was off', { triggerId: config.triggerId, since: new Date(sinceMs).toISOString(), objects: objects.length, stoppedEarly }),
});
const followedOnFlush = new FollowPerDeployment(() => configs.fresh(), (all) => followConfigurations(all, reEnabler, logger), () => configSourceFromEnv(process.env).version);
const arrivalCalendar = new ArrivalCalendar({
  configs,
  store: new CalendarStateStore(dynamodb, tableName),
  batcher,
  shell,
  now: () => Date.now(),
  newEpoch: () => randomUUID(),
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

/** What the batcher answers to one delivery: useful in logs and tests; EventBridge and the scheduler ignore it. */
export type BatcherResult =
  | CalendarResult
  | { readonly status: 'accepted' | 'duplicate' | 'ignored' | 'flushed' | 'followed' | 'waiting' }
  | { readonly status: 'rejected'; readonly error: FieldError };

/** What the batcher answers to a batch of queue messages: the ones to deliver again (Lambda's partial batch response). */
export interface QueueBatchResult {
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
}

/** A delivery that cannot be placed yet: thrown on the direct path, so that Lambda delivers the event again later. */
export class DeliverAgain extends Error {
  override readonly name = 'DeliverAgain';
}

/**
 * Receives a batch of messages from the stack's arrival queue (each `{ triggerId, event }`, an S3 Object
 * Created event put there by a data-arrival trigger's rule), `{ triggerId, event }` directly from a rule of a
 * trigger delivering each event on its own, `{ flush: { triggerIds } }` from the flush schedule, or
 * `{ triggerId, calendar }` from a trigger's deadline or batch schedule. Each trigger's configuration is read
 * from what the deployment wrote for it, never from the message.
 */
export const handler = shell.handler(async (input): Promise<BatcherResult | QueueBatchResult> => {
  if (isRecord(input) && 'Records' in input) return receive(input.Records);
  if (isRecord(input) && 'flush' in input) return flush(input.flush);
  if (isRecord(input) && 'calendar' in input) return arrivalCalendar.fire(input);
  // A configuration changed: whatever the input says, the configurations are read as stored now.
  if (isRecord(input) && 'configurationChanged' in input) return followChange();
  const admitted = await admit(input, '');
  if ('status' in admitted) return admitted;
  const [outcome] = await batcher.arriveAll(admitted.config, [admitted.object]);
  if (outcome === 'retry') throw new DeliverAgain(`an earlier delivery of ${admitted.object.key} is still being placed: deliver this event again later`);
  return { status: outcome };
});

/**
 * Follows the configurations as stored now. A catch-up that only waits for its trigger's rule to deliver again is
 * left to the flush schedule, which follows each new deployment's configurations until it succeeds; anything else
 * unfinished is thrown, so that the change is delivered again.
 */
async function followChange(): Promise<BatcherResult> {
  try {
    await followConfigurations(await configs.fresh(), reEnabler, logger);
    return { status: 'followed' };
  } catch (error) {
    if (error instanceof CatchUpPending && error.expected) return { status: 'waiting' };
    throw error;
  }
}

/** Places the messages' objects, trigger by trigger; a message that must come again is named in the answer, a bad one is rejected and dropped. */
async function receive(records: unknown): Promise<QueueBatchResult | BatcherResult> {
  const read = queueRecords(records, arrivalQueueArn);
  if (!read.ok) return shell.reject(read.error);
  const again: string[] = [];
  const byTrigger = new Map<string, { config: BatchTriggerConfig; objects: CreatedObject[]; messages: QueueRecord[] }>();
  for (const record of read.value) {
    if ('error' in record) {
      shell.reject(record.error);
      continue;
    }
    let admitted: Awaited<ReturnType<typeof admit>>;
    try {
      admitted = await admit(record.body, `Records[${record.position}].body.`);
    } catch (error) {
      logger.error('could not read the configuration of a message\'s trigger; the message comes again', { messageId: record.messageId, error: error as Error });
      again.push(record.messageId);
      continue;
    }
    if ('status' in admitted) continue;
    const group = byTrigger.get(admitted.config.triggerId) ?? { config: admitted.config, objects: [], messages: [] };
    group.objects.push(admitted.object);
    group.messages.push(record);
    byTrigger.set(admitted.config.triggerId, group);
  }
  for (const { config, objects, messages } of byTrigger.values()) {
    try {
      const outcomes = await batcher.arriveAll(config, objects);
      outcomes.forEach((outcome, i) => outcome === 'retry' && again.push(messages[i].messageId));
    } catch (error) {
      // One trigger's trouble must not hold back the others' objects: its messages come again.
      logger.error('could not place the objects of a trigger; their messages come again', { triggerId: config.triggerId, messages: messages.length, error: error as Error });
      again.push(...messages.map((message) => message.messageId));
    }
  }
  return { batchItemFailures: again.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The trigger and object of one delivery, or its rejection (fields named under `prefix`), or `ignored` for a manifest. */
async function admit(input: unknown, prefix: string): Promise<{ readonly config: BatchTriggerConfig; readonly object: CreatedObject } | BatcherResult> {
  if (!isRecord(input)) return shell.reject({ field: prefix ? prefix.slice(0, -1) : 'input', problem: 'must be an object with triggerId and event' });
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject({ field: `${prefix}${config.error.field}`, problem: config.error.problem });
  const object = parseObjectCreated(input.event);
  if (!object.ok) return shell.reject({ field: `${prefix}${object.error.field === 'event' ? 'event' : `event.${object.error.field}`}`, problem: object.error.problem });
  const timeProblem = eventTimeProblem(object.value.eventTime, Date.now());
  if (timeProblem) return shell.reject({ field: `${prefix}event.time`, problem: timeProblem });
  if (!fromSource(config.value.source, object.value)) {
    // Only a forged message carries an object the trigger's rule would not have passed.
    return shell.reject({ field: `${prefix}event.detail.object.key`, problem: `is not an object of trigger ${config.value.triggerId}'s bucket, prefix and suffix` });
  }
  metrics.addMetric(MetricName.EventsReceived, MetricUnit.Count, 1);
  if (isLibraryManifest(object.value, config.value)) {
    logger.debug('ignored a manifest written by a trigger of the library', { key: object.value.key });
    return { status: 'ignored' };
  }
  return { config: config.value, object: object.value };
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
  await followedOnFlush.ensure().catch((error: Error) => {
    // Each trigger's trouble was logged as it happened; a catch-up that only waits for its rule is no trouble.
    if (!(error instanceof CatchUpPending && error.expected)) logger.error('could not follow the configurations on this flush; the next one tries again', { error });
  });
  return { status: 'flushed' };
}

function observer(): BatcherObserver {
  return {
    duplicate: (config, identity) => {
      logger.info('counted a redelivered object once', { triggerId: config.triggerId, identity });
      metrics.addMetric(MetricName.DuplicateEvents, MetricUnit.Count, 1);
    },
    accepted: (config, batch, objects) => {
      logger.debug('objects took places in a batch', { triggerId: config.triggerId, generation: batch.generation, objects });
      metrics.addMetric(MetricName.ObjectsBatched, MetricUnit.Count, objects);
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
