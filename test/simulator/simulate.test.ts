import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ReferenceStack } from '../../bin/reference-stack';
import { simulateApp, type Timeline } from '../../lib/testing';

/** A day and a half of the reference app: every kind of line, and the schedules and flushes in between. */
const EVENTS = [
  '# files land; one key is outside the trigger\'s prefix',
  '{"at": "2024-01-29T09:05:00Z", "s3": {"bucket": "churn-labelled-data", "key": "labels/a/part-0.parquet", "size": 10}}',
  '{"at": "2024-01-29T09:06:00Z", "s3": {"bucket": "churn-labelled-data", "key": "labels/a/part-0.parquet", "size": 10}}',
  '{"at": "2024-01-29T09:20:00Z", "s3": {"bucket": "churn-labelled-data", "key": "labels/a/part-1.parquet", "size": 10}}',
  '{"at": "2024-01-29T09:30:00Z", "s3": {"bucket": "churn-labelled-data", "key": "raw/export.csv"}}',
  '{"at": "2024-01-29T12:00:00Z", "event": {"name": "model.added", "project": "churn", "branch": "main", "id": "evt_1", "data": {"model_id": "m-1", "model_name": "bert", "model_source": "hugging_face"}}}',
  '{"at": "2024-01-29T12:01:00Z", "event": {"name": "model.added", "project": "churn", "branch": "feature", "id": "evt_2", "data": {"model_id": "m-2", "model_name": "bert", "model_source": "hugging_face"}}}',
  '{"at": "2024-01-29T13:00:00Z", "event": {"name": "data_updated", "project": "churn", "branch": "main", "id": "evt_3", "data": {"model_id": "churn-gbm", "dataset_uri": "s3://d/1/"}}}',
  '{"at": "2024-01-29T13:10:00Z", "event": {"name": "features_ready", "project": "churn", "branch": "main", "id": "evt_4", "data": {"model_id": "churn-gbm", "version": "v1"}}}',
  '{"at": "2024-01-29T14:00:00Z", "pipelineSucceeded": "churn-feature-engineering", "fail": true}',
  '{"at": "2024-01-29T15:00:00Z", "alarm": {"name": "no-such-alarm", "state": "ALARM"}}',
].join('\n');

describe('simulating the reference app through the testing entry point', () => {
  let outdir: string;
  let app: App;
  let result: { timeline: Timeline };

  beforeAll(async () => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-simulate-'));
    app = new App({ outdir });
    new ReferenceStack(app, 'MlTriggersReference', { pipelineName: 'churn-model-training', dataBucketName: 'churn-labelled-data', monitoringBucketName: 'churn-model-monitor', branch: 'main' });
    result = { timeline: await simulateApp(app, EVENTS, { until: '2024-01-30T03:00:00Z' }) };
  }, 600_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('starts the scheduled run at 03:00 Berlin on a weekday, through the coordinator, with the static parameters', () => {
    // Tuesday's run is held back by the cooldown of Monday's last run, below.
    const scheduled = result.timeline.runs.filter((run) => run.trigger === 'scheduled');

    expect(scheduled.map((run) => run.at)).toEqual(['2024-01-29T02:00:00Z']);
    expect(scheduled[0].parameters).toMatchObject({ TrainingMode: 'scheduled', DataWindowDays: '1', TriggerType: 'scheduled' });
  });

  test('starts one data-arrival run for the batch at the 11:00 Berlin deadline, with what arrived; a key written twice is two writes', () => {
    // The objects reach the batcher through its queue, 30 seconds (the batching window) after they land; the deadline closes the batch before its two-hour window.
    const batches = result.timeline.runs.filter((run) => run.trigger === 'data-arrival');

    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ at: '2024-01-29T10:00:00Z', pipeline: 'churn-model-training', parameters: { ObjectCount: '3', TrainingMode: 'data-arrival' } });
    expect(batches[0].parameters.ManifestS3Uri).toMatch(/^s3:\/\/churn-labelled-data\/ml-triggers\/manifests\/MlTriggersReference-NewLabels-/);
  });

  test("starts the deploy pipeline from its branch's event only, with the rendered templates", () => {
    const deploys = result.timeline.runs.filter((run) => run.pipeline === 'model-auto-deploy');

    expect(deploys).toEqual([
      { at: '2024-01-29T12:00:00Z', pipeline: 'model-auto-deploy', trigger: 'event', parameters: { ModelId: 'm-1', EndpointName: 'bert-auto', RequestedBy: 'platform' }, correlationId: 'evt:event#evt_1' },
    ]);
  });

  test('holds the join and the chain back by the cooldown, then starts each when its turn comes', () => {
    const coordinated = result.timeline.runs.filter((run) => run.pipeline === 'churn-model-training' && run.trigger === 'event').map((run) => [run.at, run.correlationId.split('#')[0]]);
    const suppressed = result.timeline.decisions.filter((decision) => decision.outcome === 'suppressed').map((decision) => [decision.at, decision.reason.split(':')[0], decision.trigger]);

    // The data-arrival run at 10:00 starts a six-hour cooldown; each run after it starts another.
    expect(coordinated).toEqual([['2024-01-29T16:00:00Z', 'evt:chain'], ['2024-01-29T22:00:00Z', 'evt:join']]);
    expect(suppressed).toEqual([
      ['2024-01-29T13:10:00Z', 'cooldown', 'event'],
      ['2024-01-29T14:00:00Z', 'cooldown', 'event'],
      ['2024-01-29T16:00:00Z', 'cooldown', 'event'],
      ['2024-01-30T02:00:00Z', 'cooldown', 'scheduled'],
    ]);
    expect(result.timeline.runs.find((run) => run.correlationId.startsWith('evt:join#'))?.parameters).toMatchObject({ ModelId: 'churn-gbm', DatasetUri: 's3://d/1/', FeatureVersion: 'v1' });
  });

  test('reports what nothing listens to, and no handler error', () => {
    expect(result.timeline.nothingListens.map((item) => [item.line, item.what])).toEqual([
      [5, 's3://churn-labelled-data/raw/export.csv'],
      [7, 'event model.added'],
      [11, 'alarm no-such-alarm'],
    ]);
    expect(result.timeline.errors).toEqual([]);
  });

  test('gives the same timeline for the same events, so a snapshot of it holds', async () => {
    const events = EVENTS.split('\n').slice(0, 4).join('\n');

    const once = await simulateApp(app, events, { until: '2024-01-29T12:00:00Z' });
    const again = await simulateApp(app, events, { until: '2024-01-29T12:00:00Z' });

    expect(JSON.stringify(again)).toBe(JSON.stringify(once));
    expect(once.runs.map((run) => run.trigger)).toEqual(['scheduled', 'data-arrival']);
  }, 600_000);

  test('rejects malformed lines by number and field, and simulates the others', async () => {
    const events = ['{"at": "2024-01-29T09:05:00Z", "s3": {"bucket": "churn-labelled-data", "key": "labels/x.parquet"}}', 'not json', '{"at": "2024-02-30T00:00:00Z", "pipelineSucceeded": "x"}', '{"at": "2024-01-29T10:00:00Z", "s3": {"bucket": "Bad_Bucket", "key": "k"}}'].join('\n');

    const rejected = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    expect(rejected.rejected.map((line) => [line.line, line.field])).toEqual([[2, 'line'], [3, 'at'], [4, 's3.bucket']]);
    expect(rejected.errors).toEqual([]);
  }, 600_000);
});
