import { createKeyedTable } from './tables';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { parseObjectCreated, type CreatedObject } from '../../lambda/core/s3-object-created';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { ManifestWriter } from '../../lambda/aws/adapters/manifest-writer';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { BatchRecordStore } from '../../lambda/aws/batcher/batch-record-store';
import { ChunkStore } from '../../lambda/aws/batcher/chunk-store';
import { TriggerStateStore } from '../../lambda/aws/batcher/trigger-state-store';
import { Batcher, type BatcherObserver } from '../../lambda/aws/batcher/batcher';
import { startFakeSageMaker, type FakeSageMaker } from './fake-sagemaker';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startS3, type LocalService } from './local-services';

export const TABLE = 'ml-triggers-batches';
export const DATA_BUCKET = 'mlops-data-prod';
export const FIXTURES = path.resolve(__dirname, '../fixtures');

/** The S3 Object Created fixture, as S3 sends it through EventBridge. */
export function objectCreatedFixture(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'events/s3-object-created.json'), 'utf8'));
}

const FIXTURE_SEQUENCER = '617f08299329d189';

/**
 * A variant of the fixture for another object (and, with `sequencer`, another upload of it, whose content, so its
 * ETag, differs unless `upload.etag` says otherwise). `upload.time` is the event's time.
 */
export function objectCreated(key: string, sequencer = FIXTURE_SEQUENCER, versionId?: string, upload: { readonly etag?: string; readonly time?: string } = {}): Record<string, unknown> {
  const event = objectCreatedFixture();
  const detail = event.detail as { object: Record<string, unknown> };
  const etag = upload.etag ?? (sequencer === FIXTURE_SEQUENCER ? detail.object.etag : createHash('md5').update(sequencer).digest('hex'));
  detail.object = { ...detail.object, key, sequencer, etag };
  if (versionId === undefined) delete detail.object['version-id'];
  else detail.object['version-id'] = versionId;
  if (upload.time !== undefined) event.time = upload.time;
  return event;
}

/** The fixture for `key` at `sequencer`, parsed as the batcher receives it. */
export function createdObject(key: string, sequencer: string): CreatedObject {
  const parsed = parseObjectCreated(objectCreated(key, sequencer));
  if (!parsed.ok) throw new Error(parsed.error.field);
  return parsed.value;
}

/** A small seeded generator (mulberry32), so that a run can be replayed exactly. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function triggerConfig(overrides: Partial<BatchTriggerConfig> = {}): BatchTriggerConfig {
  return {
    triggerId: 'labels-trigger',
    pipelineName: 'training-pipeline',
    source: { bucket: DATA_BUCKET },
    batchSize: 3,
    batchWindowSeconds: 3600,
    manifestBucket: DATA_BUCKET,
    manifestPrefix: 'ml-triggers/manifests/',
    manifestParameterName: 'ManifestS3Uri',
    countParameterName: 'ObjectCount',
    parameters: { TrainingMode: 'data-arrival' },
    maxStartAttempts: 3,
    ...overrides,
  };
}

/** dynalite, s3rver and the SageMaker stand-in, with the SDK pointed at them through its standard variables. */
export class LocalAws {
  static async start(): Promise<LocalAws> {
    const [dynamo, s3, sagemaker] = await Promise.all([startDynalite(), startS3(), startFakeSageMaker()]);
    const restoreEnv = setEnv({
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      BATCH_TABLE_NAME: TABLE,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    });
    const local = new LocalAws(dynamo, s3, sagemaker, restoreEnv);
    await createKeyedTable(local.dynamo, TABLE);
    await local.s3.send(new CreateBucketCommand({ Bucket: DATA_BUCKET }));
    return local;
  }

  readonly dynamo = new DynamoDBClient({});
  readonly s3 = new S3Client({});

  private constructor(
    private readonly dynamoService: LocalService,
    private readonly s3Service: LocalService,
    readonly sagemaker: FakeSageMaker,
    private readonly restoreEnv: () => void,
  ) {}

  /** A batcher as one Lambda container would hold it: its own SDK clients, and the clock given. */
  batcher(now: () => number, observer: Partial<BatcherObserver> = {}, wrapStarter: (starter: Pick<PipelineStarter, 'start' | 'find'>) => Pick<PipelineStarter, 'start' | 'find'> = (starter) => starter): Batcher {
    const dynamodb = new DynamoDBClient({});
    return new Batcher({
      state: new TriggerStateStore(dynamodb, TABLE),
      records: new BatchRecordStore(dynamodb, TABLE),
      chunks: new ChunkStore(dynamodb, TABLE),
      manifests: new ManifestWriter(new S3Client({})),
      launchers: new Launchers(wrapStarter(new PipelineStarter(new SageMakerClient({ maxAttempts: 2 }))), new CoordinatorClient(new LambdaClient({ maxAttempts: 1 }))),
      observer: { duplicate() {}, accepted() {}, sealed() {}, started() {}, startFailed() {}, deferred() {}, oldestBatchAge() {}, ...observer },
      now,
      newEpoch: () => 'epoch-1',
      pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  }

  async items(): Promise<Array<Record<string, unknown>>> {
    const result = await this.dynamo.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
    return (result.Items ?? []).map((item) => unmarshall(item));
  }

  async manifestLines(uri: string): Promise<Array<Record<string, unknown>>> {
    const [, , bucket, ...key] = uri.split('/');
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
    const body = await object.Body!.transformToString();
    return body.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  }

  async stop(): Promise<void> {
    this.dynamo.destroy();
    this.s3.destroy();
    await Promise.all([this.dynamoService.close(), this.s3Service.close(), this.sagemaker.close()]);
    this.restoreEnv();
  }
}
