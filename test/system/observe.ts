/** What a run left behind, read back from the local services for the invariants. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DecisionRecord } from '../../lambda/aws/adapters/decision-log';
import type { RecordedExecution } from '../support/local-services';
import type { Deployment, Plan } from './deployment';
import type { ModelRecord } from './model-record';
import { BATCH_TABLE, COORDINATOR_TABLE, JOIN_TABLE, type CoordinatorExchange, type Services, type System } from './system';

const DAY = 86_400_000;

/** What the invariants read after the run: the model's record and the system's stores, as they ended. */
export interface Observation {
  readonly plan: Plan;
  readonly deployment: Deployment;
  readonly model: ModelRecord;
  readonly nowMs: number;
  readonly executions: readonly RecordedExecution[];
  readonly manifests: ReadonlyMap<string, readonly string[]>;
  readonly batchItems: ReadonlyArray<Record<string, unknown>>;
  readonly joinItems: ReadonlyArray<Record<string, unknown>>;
  readonly coordinatorItems: ReadonlyArray<Record<string, unknown>>;
  readonly decisions: ReadonlyMap<string, readonly DecisionRecord[]>;
  readonly exchanges: readonly CoordinatorExchange[];
  /** Successful start replies with their virtual time: a run's first is when it started. */
  readonly starts: System['starts'];
  readonly finalFailures: ReadonlyArray<{ readonly triggerId: string; readonly epoch: string; readonly generation: number }>;
}

export async function scan(services: Services, table: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await services.dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

/** The state of the trigger-wide join: the join table also holds per-key joins' and debounced triggers' documents. */
export async function joinState(services: Services, triggerId: string): Promise<{ pending?: unknown } | undefined> {
  const item = (await scan(services, JOIN_TABLE)).find((candidate) => candidate.pk === `J#${triggerId}` && candidate.sk === 'JOIN');
  return item ? (JSON.parse(item.state as string) as { pending?: unknown }) : undefined;
}

/** What still waits: deferred requests, parked approvals, pending joins, unfinished batches. */
export async function waitingWork(services: Services, deployment: Deployment, model: ModelRecord): Promise<string[]> {
  const waiting = [...model.asked.values()].filter((asked) => asked.progress.state === 'open').map((asked) => `${asked.key} (${(asked.progress as { reason: string }).reason})`);
  for (const item of await scan(services, COORDINATOR_TABLE)) {
    if (item.sk !== 'STATE') continue;
    const state = JSON.parse(item.state as string) as { pendingApproval?: { requestId: string } };
    if (state.pendingApproval) waiting.push(`approval ${state.pendingApproval.requestId} of ${item.pk}`);
  }
  if ((await joinState(services, deployment.joinTrigger.triggerId))?.pending) waiting.push(`join ${deployment.joinTrigger.triggerId} pending`);
  for (const item of await scan(services, BATCH_TABLE)) {
    if (item.sk === 'STATE' && ((item.count as number) > 0 || Object.keys((item.unfinished as object) ?? {}).length > 0)) waiting.push(`batches of ${item.pk}`);
    if (item.sk === 'H' && ['RETRY', 'CLAIMED'].includes(item.status as string)) waiting.push(`batch ${item.pk} ${item.status} until ${item.nextAttemptAt ?? item.claimedUntil}`);
  }
  return waiting;
}

export async function observe(services: Services, system: System, plan: Plan, deployment: Deployment, model: ModelRecord, nowMs: number): Promise<Observation> {
  const executions = [...services.sagemaker.executions];
  const manifests = new Map<string, string[]>();
  for (const uri of new Set(executions.flatMap((execution) => (execution.parameters.ManifestS3Uri ? [execution.parameters.ManifestS3Uri] : [])))) {
    const [, , bucket, ...key] = uri.split('/');
    try {
      const object = await services.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
      const body = (await object.Body?.transformToString()) ?? '';
      manifests.set(uri, body.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { key: string }).key));
    } catch {
      manifests.set(uri, []);
    }
  }
  const decisions = new Map<string, DecisionRecord[]>();
  for (const pipeline of deployment.coordinatedPipelines) decisions.set(pipeline, await system.coordinatorStore.decisions(pipeline, 0, nowMs + 365 * DAY));
  return {
    plan,
    deployment,
    model,
    nowMs,
    executions,
    manifests,
    batchItems: await scan(services, BATCH_TABLE),
    joinItems: await scan(services, JOIN_TABLE),
    coordinatorItems: await scan(services, COORDINATOR_TABLE),
    decisions,
    exchanges: [...system.exchanges],
    starts: [...system.starts],
    finalFailures: [...system.batcherReports.finalFailures],
  };
}
