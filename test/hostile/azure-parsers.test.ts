import * as fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseEventGridEvent } from '../../lambda/azure/adapters/event-grid';
import { parseBatcherEvent, type BatcherScope } from '../../lambda/azure/batcher/message';
import { parseUpstreamRun } from '../../lambda/azure/chain/handler';
import { parseAzureMetricAlert } from '../../lambda/core/azure-alert';
import { parseAzureBatcherSettings, parseAzureChainSettings, parseAzureDriftSettings } from '../../lambda/core/contracts/azure-functions';
import type { Parsed } from '../../lambda/core/result';

/**
 * What reaches the Azure functions from outside, in any shape: an Event Grid event (a Blob Created, an Azure ML run
 * event), an action group's alert, and the settings an app setting holds. Every parser answers a value or an error that
 * names a field; none throws, whatever it is given, so no input crashes a function into Event Grid's retries.
 */

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure', name), 'utf8')) as Record<string, unknown>;

const SCOPE: BatcherScope = {
  triggerId: 'churn-arrivals', storageAccount: 'churnlabelled', container: 'landing', prefix: 'incoming/', suffix: '',
  manifestAccount: 'churnlabelled', manifestContainer: 'landing', manifestPrefix: 'ml-triggers/manifests/',
};
const BLOB_CREATED = {
  id: 'evt-1', topic: '/subscriptions/7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31/resourceGroups/ml-prod/providers/Microsoft.Storage/storageAccounts/churnlabelled',
  subject: '/blobServices/default/containers/landing/blobs/incoming/a.csv', eventType: 'Microsoft.Storage.BlobCreated', eventTime: '2026-03-02T06:00:00.9584103Z',
  data: { api: 'PutBlob', eTag: '0x8DC1A2B3C4D5E6F', contentLength: 2048, url: 'https://churnlabelled.blob.core.windows.net/landing/incoming/a.csv' },
};

const TARGET = {
  triggerId: 'churn-arrivals', subscriptionId: '7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31', resourceGroup: 'ml-prod', workspace: 'churn-ws',
  experimentName: 'churn-retrain', pipelineName: 'churn-training', parameters: { Epochs: '20' },
  componentId: '/subscriptions/7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws/components/churn/versions/3',
  jobIdentity: { identityType: 'Managed', clientId: '0b3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31' },
};
const BATCHER_SETTINGS = {
  ...TARGET, storageAccount: 'churnlabelled', container: 'landing', prefix: 'incoming/', suffix: '.csv', batchSize: 10, batchWindowSeconds: 600,
  maxStartAttempts: 6, manifestAccount: 'churnlabelled', manifestContainer: 'landing', manifestPrefix: 'ml-triggers/manifests/',
  stateTableEndpoint: 'https://mltstate.table.core.windows.net', stateTable: 'batches0a1b2c',
};
const DRIFT_SETTINGS = {
  ...TARGET, drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: { tenure: { medium: 0.05, high: 0.2, critical: 0.4 } }, autoRetrain: false },
  source: { alertRuleId: '/subscriptions/7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31/resourceGroups/ml-prod/providers/Microsoft.Insights/metricAlerts/churn-drift', metricName: 'feature_drift' },
};
const CHAIN_SETTINGS = {
  ...TARGET,
  upstream: { workspaceId: '/subscriptions/7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/features-ws', experimentNames: ['feature-build'], statuses: ['Completed', 'Failed'] },
};

/** Every parser under test, from raw input to an answer. */
const PARSERS: ReadonlyArray<readonly [string, (input: unknown) => Parsed<unknown>, () => unknown]> = [
  ['a Blob Created event', (input) => parseBatcherEvent(input, SCOPE), () => structuredClone(BLOB_CREATED)],
  ['an Azure ML run event', (input) => {
    const event = parseEventGridEvent(input);
    return event.ok ? parseUpstreamRun(event.value) : event;
  }, () => fixture('run-status-changed.json')],
  ['a common-schema metric alert', parseAzureMetricAlert, () => fixture('metric-alert-fired.json')],
  ['batcher settings', parseAzureBatcherSettings, () => structuredClone(BATCHER_SETTINGS)],
  ['drift settings', parseAzureDriftSettings, () => structuredClone(DRIFT_SETTINGS)],
  ['chain settings', parseAzureChainSettings, () => structuredClone(CHAIN_SETTINGS)],
];

const isAnswer = (parsed: Parsed<unknown>): boolean =>
  parsed.ok || (typeof parsed.error.field === 'string' && parsed.error.field.length > 0 && typeof parsed.error.problem === 'string' && parsed.error.problem.length > 0);

/** A value that replaces one field: anything JSON can say, and the values that break careless code. */
const hostileValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(null, undefined, '', NaN, Infinity, -1, 2 ** 53, '__proto__', 'x'.repeat(100_000), [], {}, { length: 1e9 }),
);

/** The paths of every field of `value`, objects and arrays alike. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

function replaced(value: unknown, at: readonly string[], by: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  if (by === undefined) delete node[at[at.length - 1]];
  else node[at[at.length - 1]] = by;
  return copy;
}

describe.each(PARSERS)('%s: hostile input', (_name, parse, valid) => {
  test('any JSON value, or anything at all, gets an answer: a value or a named field, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (input) => isAnswer(parse(input))), { numRuns: 300 });
  });

  test('the valid input with any one field replaced by a hostile value (or removed) gets an answer', () => {
    expect(parse(valid())).toMatchObject({ ok: true });
    const fields = paths(valid());
    fc.assert(fc.property(fc.constantFrom(...fields), hostileValue, (at, by) => isAnswer(parse(replaced(valid(), at, by)))), { numRuns: 400 });
  });
});

describe('hostile input: what the parsers refuse, by name', () => {
  test('a Blob Created event from another account, for another container, or of a name past 1,024 characters is rejected naming the field', () => {
    const cases: Array<readonly [unknown, string]> = [
      [replaced(BLOB_CREATED, ['topic'], BLOB_CREATED.topic.replace('churnlabelled', 'someoneelse')), 'event.topic'],
      [replaced(BLOB_CREATED, ['subject'], '/blobServices/default/containers/other/blobs/incoming/a.csv'), 'event.subject'],
      [replaced(BLOB_CREATED, ['subject'], `/blobServices/default/containers/landing/blobs/incoming/${'a'.repeat(1100)}`), 'event.subject'],
      [replaced(BLOB_CREATED, ['data', 'url'], 'https://churnlabelled.blob.core.windows.net/landing/incoming/other.csv'), 'event.data.url'],
      [replaced(BLOB_CREATED, ['eventTime'], '2026-02-30T06:00:00Z'), 'event.eventTime'],
    ];
    for (const [input, field] of cases) expect(parseBatcherEvent(input, SCOPE)).toMatchObject({ ok: false, error: { field } });
  });
});
