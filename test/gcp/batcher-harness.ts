import type { ManifestEntry } from '../../lambda/core/batching';
import { CloudStorage } from '../../lambda/gcp/adapters/gcs';
import { MetadataTokenSource } from '../../lambda/gcp/adapters/metadata-token';
import { VertexPipelines } from '../../lambda/gcp/adapters/vertex-pipelines';
import { batcherHandler } from '../../lambda/gcp/batcher/handler';
import type { FakeGoogle } from './fake-google';
import { startFakeFirestore, type FakeFirestore } from './fake-firestore';
import { call, captureLogs, FAKE_GOOGLE_TIMEOUT, pushBody, useFakeGoogle, type Answer } from './function-call';
import { BATCHER_CONFIG as CONFIG } from './trigger-configs';

export const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);

/** The batcher's clock, which the tests move: set to T0 before each test and advanced to let windows and claims run out. */
export const clock = { now: T0 };
const now = (): number => clock.now;
const tokens = new MetadataTokenSource(now);
export const handler = batcherHandler({ tokens, storage: new CloudStorage(tokens), pipelines: new VertexPipelines(tokens), now });

/** A Cloud Storage OBJECT_FINALIZE notification (payloadFormat JSON_API_V1), as Pub/Sub pushes it. */
export function finalize(name: string, messageId: string, generation = '1772431200000001'): Record<string, unknown> {
  const resource = { kind: 'storage#object', bucket: CONFIG.bucket, name, generation, size: '2048', timeCreated: '2026-03-02T06:00:00.000Z', contentType: 'text/csv' };
  return pushBody(resource, messageId, {
    eventType: 'OBJECT_FINALIZE', payloadFormat: 'JSON_API_V1', notificationConfig: `projects/_/buckets/${CONFIG.bucket}/notificationConfigs/1`,
    bucketId: CONFIG.bucket, objectId: name, objectGeneration: generation, eventTime: '2026-03-02T06:00:00.000Z',
  });
}
export const flush = (messageId: string): Record<string, unknown> => pushBody({ flush: true }, messageId);
export const entry = (name: string, generation = '1772431200000001'): ManifestEntry => ({
  uri: `gs://${CONFIG.bucket}/${name}`, bucket: CONFIG.bucket, key: name, versionId: generation, size: 2048, eventTime: '2026-03-02T06:00:00.000Z',
});
export const parameterValues = (job: { body: Record<string, unknown> }): Record<string, unknown> =>
  (job.body.runtimeConfig as { parameterValues: Record<string, unknown> }).parameterValues;

/** The batcher's fakes and the reads of its Firestore state that its tests assert on. */
export interface BatcherSuite {
  readonly google: FakeGoogle;
  readonly firestore: FakeFirestore;
  /** Sets BATCHER_CONFIG to the test configuration with `overrides` (an `undefined` removes a field). */
  configure(overrides?: Record<string, unknown>): void;
  /** The trigger's current epoch, which names its manifests and jobs. */
  epoch(): string;
  batchStatus(generation: number): unknown;
}

/**
 * Runs the surrounding describe against fake Firestore, Cloud Storage (one server) and Vertex AI; before each test the
 * fakes are emptied, the configuration and the clock are reset and the function's log lines are captured.
 */
export function useBatcher(): BatcherSuite {
  let firestore: FakeFirestore | undefined;
  const started = (): FakeFirestore => {
    if (!firestore) throw new Error('the fake Firestore is started in beforeAll');
    return firestore;
  };
  beforeAll(async () => {
    firestore = await startFakeFirestore();
  }, FAKE_GOOGLE_TIMEOUT);
  afterAll(async () => firestore?.close(), FAKE_GOOGLE_TIMEOUT);
  const fake = useFakeGoogle(() => ({
    BATCHER_CONFIG: JSON.stringify(CONFIG), FIRESTORE_API_ENDPOINT: started().endpoint, GCS_API_ENDPOINT: started().endpoint,
  }));
  beforeEach(() => {
    started().reset();
    captureLogs();
    clock.now = T0;
  });
  return {
    get google() {
      return fake.google;
    },
    get firestore() {
      return started();
    },
    configure: (overrides = {}) => {
      process.env.BATCHER_CONFIG = JSON.stringify({ ...CONFIG, ...overrides });
    },
    epoch: () => String((started().document(`triggers/${CONFIG.triggerId}`)?.epoch as { stringValue: string }).stringValue),
    batchStatus: (generation) =>
      (started().document(`triggers/${CONFIG.triggerId}/batches/${generation}`)?.status as { stringValue?: string } | undefined)?.stringValue,
  };
}

/** Delivers the messages through `concurrency` parallel invocations, redelivering on 500 as Pub/Sub would. */
export async function deliverAll(bodies: ReadonlyArray<Record<string, unknown>>, concurrency: number): Promise<Answer[]> {
  const queue = [...bodies];
  const answers: Answer[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let body = queue.shift(); body; body = queue.shift()) {
      for (let attempt = 1; ; attempt += 1) {
        const answer = await call(handler, body);
        if (answer.status === 200) {
          answers.push(answer);
          break;
        }
        if (attempt >= 5) throw new Error(`still ${answer.status} after ${attempt} deliveries: ${JSON.stringify(answer.body)}`);
      }
    }
  }));
  return answers;
}
