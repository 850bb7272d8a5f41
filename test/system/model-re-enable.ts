/**
 * A data-arrival trigger that catches up when it is turned back on: the workload turns it off and on again
 * (each change delivered at least once, sometimes twice, sometimes forged with nothing changed), lands objects
 * in S3 while it is off (found by the catch-up's listing only) and while it is on (delivered as arrivals too).
 * What landed while it was off, within the bounds, must start in exactly one run per re-enable, apart from
 * anything else; a repeated or forged change starts nothing more.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchRecordStore } from '../../lambda/aws/batcher/batch-record-store';
import { CatchUpListing } from '../../lambda/aws/batcher/catch-up-listing';
import { CatchUpPending, ReEnabler, RULE_SETTLE_MS } from '../../lambda/aws/batcher/re-enable';
import { ReEnableStore } from '../../lambda/aws/batcher/re-enable-store';
import { TriggerStateStore } from '../../lambda/aws/batcher/trigger-state-store';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';
import { BATCH_TABLE, MANIFEST_BUCKET, type Faults } from './system';

const INVARIANT = '10 each re-enable starts what landed while off in exactly one run of its own, once' as const;
const BACKFILL_BUCKET = 'system-backfill';
const TRIGGER_ID = 'backfill';
const MAX_AGE_SECONDS = 14 * 86_400;

/** One period the trigger was off: the objects that landed meanwhile, and those its catch-up must start (key order, bounded). */
export interface OffPeriod {
  readonly offAtMs: number;
  onAtMs?: number;
  readonly landed: Array<{ readonly key: string; readonly atMs: number }>;
  caught: string[];
  /** Objects the rule delivered while the catch-up was unfinished (a delivery of the change failed midway): they may share its batch. */
  readonly mayJoin: string[];
}

/** The trigger: direct, on its own bucket, catching up at most one batch of what landed while it was off. */
export function backfillConfig(pipelineName: string, batchSize: number, enabled: boolean): BatchTriggerConfig {
  return {
    triggerId: TRIGGER_ID, pipelineName, source: { bucket: BACKFILL_BUCKET, prefix: `${TRIGGER_ID}/` }, batchSize, batchWindowSeconds: 1800,
    manifestBucket: MANIFEST_BUCKET, manifestPrefix: 'manifests/', manifestParameterName: 'ManifestS3Uri', countParameterName: 'ObjectCount',
    parameters: { TrainingMode: 'catch-up' }, maxStartAttempts: 5, enabled, whenReEnabled: { mode: 'catch-up', maxObjects: batchSize, maxAgeSeconds: MAX_AGE_SECONDS },
  };
}

/**
 * S3 stamps an object with the wall clock; the handlers run on the virtual one. The catch-up's listing sees each
 * object modified at the virtual time it landed (to the second, as S3 keeps it).
 */
function virtualListing(landedAt: ReadonlyMap<string, number>, faults: Faults): S3Client {
  const client = new S3Client({ forcePathStyle: true });
  const send = client.send.bind(client) as (command: unknown) => Promise<{ Contents?: Array<{ Key?: string; LastModified?: Date }> }>;
  (client as { send: unknown }).send = async (command: unknown) => {
    const page = await send(command);
    for (const listed of page.Contents ?? []) {
      const atMs = listed.Key === undefined ? undefined : landedAt.get(listed.Key);
      if (atMs !== undefined) listed.LastModified = new Date(Math.floor(atMs / 1000) * 1000);
    }
    return page;
  };
  return faults.wrap(client, 'reenable.s3');
}

/** The trigger's steps: landing an object, turning it off or on (or a forged change), and the end phase's drain. */
export function reEnableSteps({ services, system, deployment, model, clock, delivery, chance, nextId }: WorkloadStepContext, faults: Faults, batchSize: number) {
  const landedAt = new Map<string, number>();
  const dynamo = faults.wrap(new DynamoDBClient({}), 'reenable.dynamodb');
  const reEnabler = new ReEnabler({
    records: new ReEnableStore(dynamo, BATCH_TABLE),
    state: new TriggerStateStore(dynamo, BATCH_TABLE),
    headers: new BatchRecordStore(dynamo, BATCH_TABLE),
    batcher: system.batcher,
    listing: new CatchUpListing(virtualListing(landedAt, faults), clock.now),
    // The deployment's versions of the configuration: the periods the model turned the trigger off.
    history: { latestOffPeriod: async () => {
      const period = periods.at(-1);
      return period && { offMs: period.offAtMs, ...(period.onAtMs !== undefined ? { onMs: period.onAtMs } : {}) };
    } },
    now: clock.now,
    pause: async (ms) => clock.advance(ms),
  });
  /** What the end phase reads of the catch-up, without faults. */
  const records = new ReEnableStore(new DynamoDBClient({}), BATCH_TABLE);
  let enabled = true;
  let bucketReady = false;
  const config = () => backfillConfig(deployment.direct, batchSize, enabled);
  const periods = model.offPeriods;

  /** What the batcher's handler does with the change: a catch-up only waiting for its batch's start (the flush's to retry) is no failure. */
  async function follow(current: BatchTriggerConfig): Promise<string> {
    try {
      return (await reEnabler.apply(current)).step;
    } catch (error) {
      if (error instanceof CatchUpPending && error.expected) return 'waiting';
      throw error;
    }
  }

  /** Parameter Store's change event reaching the batcher, once or (at least once) twice. */
  async function changed(label: string): Promise<void> {
    const current = config();
    await delivery.deliver(label, () => follow(current));
    if (chance(0.3)) await delivery.deliver(`${label} again`, () => follow(current));
  }

  /** The trigger's bucket, created before anything lands in it or lists it. */
  async function bucket(): Promise<void> {
    if (bucketReady) return;
    await services.s3.send(new CreateBucketCommand({ Bucket: BACKFILL_BUCKET }));
    bucketReady = true;
  }

  async function land(): Promise<void> {
    await bucket();
    clock.advance(1_000);
    const key = `${TRIGGER_ID}/object-${String(nextId()).padStart(6, '0')}.csv`;
    landedAt.set(key, clock.now());
    await services.s3.send(new PutObjectCommand({ Bucket: BACKFILL_BUCKET, Key: key, Body: key }));
    const period = periods.at(-1);
    if (!enabled && period) {
      period.landed.push({ key, atMs: clock.now() });
      return;
    }
    model.objects.push({ triggerId: TRIGGER_ID, key });
    // A catch-up a failure interrupted finishes later with the batch it began filling, which this object may join.
    if (period?.onAtMs !== undefined && (await records.read(TRIGGER_ID)) !== undefined) period.mayJoin.push(key);
    // As S3 sends it: the ETag its content's (the key), the time to the second.
    const etag = createHash('md5').update(key).digest('hex');
    const object = { bucket: BACKFILL_BUCKET, key, size: 1000, sequencer: '0B1C2D3E', etag, eventTime: new Date(Math.floor(clock.now() / 1000) * 1000).toISOString() };
    await delivery.deliver(`arrive ${TRIGGER_ID} ${key}`, () => system.batcher.arrive(config(), object));
    if (chance(0.3)) await delivery.deliver(`arrive ${TRIGGER_ID} ${key} again`, () => system.batcher.arrive(config(), object));
  }

  async function toggle(): Promise<void> {
    if (chance(0.25)) return changed(`forged change of ${TRIGGER_ID}`);
    return turn();
  }

  async function turn(): Promise<void> {
    await bucket();
    clock.advance(1_000);
    enabled = !enabled;
    if (!enabled) periods.push({ offAtMs: clock.now(), landed: [], caught: [], mayJoin: [] });
    else {
      const period = periods.at(-1)!;
      period.onAtMs = clock.now();
      const sinceMs = Math.floor((period.onAtMs - MAX_AGE_SECONDS * 1000) / 1000) * 1000;
      period.caught = period.landed.filter((landed) => landed.atMs >= sinceMs).map((landed) => landed.key).sort().slice(0, batchSize);
      model.objects.push(...period.caught.map((key) => ({ triggerId: TRIGGER_ID, key })));
    }
    // The rule is updated after the configuration; once on, the batcher hears of the change when it delivers again.
    if (enabled) clock.advance(RULE_SETTLE_MS);
    // Half the time an upload lands at once: after the configuration went off but before the batcher heard of it,
    // or after the rule delivers again but before the catch-up lists (both bring it). Either way it is in one run.
    if (chance(0.5)) await land();
    await changed(`${TRIGGER_ID} turned ${enabled ? 'on' : 'off'}`);
    // Uploads go on while nothing listens: often more than one catch-up holds.
    for (let landed = 0; !enabled && landed < 4 && chance(0.6); landed++) await land();
  }

  /** The end phase: the trigger on again, the flush schedule, and the change delivered again while a catch-up is unfinished; what still waits. */
  async function drain(): Promise<string[]> {
    if (!enabled) await turn();
    await delivery.deliver(`flush ${TRIGGER_ID}`, () => system.batcher.flush(config()));
    const record = await records.read(TRIGGER_ID);
    if (enabled && record) {
      await delivery.deliver(`${TRIGGER_ID} change again`, () => follow(config()));
      return [`catch-up of ${TRIGGER_ID} unfinished`];
    }
    return [];
  }

  return { land, toggle, drain };
}

/** Invariant 10: each period's catch-up is one run of exactly what it caught; no run holds what landed while off beyond it. */
export function checkReEnables(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const runs = observation.executions.flatMap((execution) => {
    const uri = execution.parameters.ManifestS3Uri ?? '';
    return uri.includes(`/manifests/${TRIGGER_ID}/`) ? [{ arn: execution.executionArn, keys: observation.manifests.get(uri) ?? [] }] : [];
  });
  for (const period of observation.model.offPeriods) {
    if (period.onAtMs === undefined) continue;
    const caught = new Set(period.caught);
    const landed = new Set(period.landed.map((landed) => landed.key));
    const holding = runs.filter((run) => run.keys.some((key) => landed.has(key)));
    const at = new Date(period.offAtMs).toISOString();
    if (holding.length !== (caught.size > 0 ? 1 : 0)) {
      violations.push({ invariant: INVARIANT, detail: `the re-enable after ${at} (${caught.size} object(s) to catch up) started ${holding.length} runs [${holding.map((run) => run.arn).join(', ')}]` });
    }
    const mayJoin = new Set(period.mayJoin);
    for (const run of holding) {
      const foreign = run.keys.filter((key) => !caught.has(key) && !mayJoin.has(key));
      if (foreign.length > 0) violations.push({ invariant: INVARIANT, detail: `catch-up run ${run.arn} of the re-enable after ${at} holds ${foreign.join(', ')}, not what it was to catch up` });
    }
  }
  return violations;
}
