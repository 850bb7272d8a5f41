import { compileFilter } from '../../lambda/core/event-filter';
import { deepArrayJson, deepObject, hugeString, invocationShapeCases, manyItems, VAST, type HostileCase } from './corpus-support';

// The hostile inputs for the bundled event-trigger function, and the deployment they are aimed at.

export const TABLE = 'ml-triggers-joins-hostile';
export const CONFIG_PATH = '/cdk-ml-triggers/hostile-events/';
const BUS_SOURCE = 'ml-triggers.churn.main';
export const ATTACKER = 'attacker';
const HOUR = 3_600_000;

/** The filter the model trigger was declared with, compiled as the construct compiles it. */
const MODEL_FILTER = compileFilter({ model_source: 'hugging_face', size_gb: { numeric: ['>=', 0, '<', 100] } });
if (!MODEL_FILTER.ok) throw new Error(MODEL_FILTER.error.problem);

/** The two triggers the stack deployed, as the construct writes them: the rule's rendered pattern included. */
export const MODEL = {
  triggerId: 'ModelAdded-1a2b3c4d',
  pipelineName: 'deploy-pipeline',
  mode: 'event',
  events: ['model.added'],
  parameters: { ModelId: '{{ event.model_id }}', Source: '{{ event.model_source }}' },
  pattern: { source: [BUS_SOURCE], 'detail-type': ['model.added'], detail: { data: MODEL_FILTER.value } },
};
export const JOIN = {
  triggerId: 'FeaturesJoin-5e6f7a8b',
  pipelineName: 'join-pipeline',
  mode: 'join',
  events: ['data_updated', 'features_ready'],
  windowSeconds: 86_400,
  parameters: { Dataset: '{{ events.data_updated.dataset }}', FeatureVersion: '{{ events.features_ready.version }}' },
  pattern: { source: [BUS_SOURCE], 'detail-type': ['data_updated', 'features_ready'] },
};

/** What an invocation might carry to widen a trigger: another pipeline, a pattern that matches anything, other parameters. */
const ATTACKER_CONFIG = {
  ...MODEL,
  pipelineName: `${ATTACKER}-pipeline`,
  mode: 'event',
  pattern: { source: [{ prefix: '' }] },
  parameters: { ModelId: `${ATTACKER}-model`, Exfiltrate: `s3://${ATTACKER}-bucket/` },
};

let events = 0;
/** A platform event as the bus delivers it; each call has new ids, so none is a redelivery. */
function busEvent(name: string, data: unknown, edit: (event: Record<string, unknown>) => void = () => {}): Record<string, unknown> {
  events++;
  const event: Record<string, unknown> = {
    version: '0',
    id: `eb-hostile-${events}`,
    'detail-type': name,
    source: BUS_SOURCE,
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: { event_id: `evt_hostile_${events}`, data },
  };
  edit(event);
  return event;
}
const modelData = (fields: Record<string, unknown> = {}) => ({ model_id: 'model_xyz789', model_source: 'hugging_face', size_gb: 12, ...fields });
/** A model.added event the model trigger's rule passes, edited. */
const modelAdded = (edit: (event: Record<string, unknown>) => void = () => {}) => busEvent('model.added', modelData(), edit);
const invoke = (event: unknown, extra: Record<string, unknown> = {}) => ({ triggerId: MODEL.triggerId, event, ...extra });
export const withData = (fields: Record<string, unknown>) => invoke(busEvent('model.added', modelData(fields)));
const withDetail = (detail: unknown) => invoke(modelAdded((e) => (e.detail = detail)));
const withTime = (time: unknown) => invoke(modelAdded((e) => (e.time = time)));
export const toJoin = (name: string, data: unknown, edit?: (event: Record<string, unknown>) => void) => ({ triggerId: JOIN.triggerId, event: busEvent(name, data, edit) });

/** The run a case may start: only ever the deployed trigger's pipeline, with parameters rendered by its templates. */
export interface ExpectedRun {
  readonly why: string;
  readonly pipelineName: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * One input, with what the function must answer: `field` for a rejection, `starts` for an event the
 * deployed rule passes (a run of the deployed trigger), `harmless` for an answer that changes nothing.
 */
export interface EventCase extends HostileCase {
  readonly field?: string;
  readonly starts?: ExpectedRun;
}

const modelRun = (why: string, parameters: Record<string, string> = {}): ExpectedRun => ({
  why,
  pipelineName: MODEL.pipelineName,
  parameters: { ModelId: 'model_xyz789', Source: 'hugging_face', ...parameters },
});

export const EVENT_CORPUS: readonly EventCase[] = [
  // Not an invocation at all, and forged trigger ids.
  ...invocationShapeCases(() => invoke(modelAdded()), MODEL.triggerId),
  { name: 'triggerId: unknown to the stack', input: () => invoke(modelAdded(), { triggerId: 'ModelAdded-00000000' }), field: 'triggerId' },
  { name: 'triggerId: the real id in lower case', input: () => invoke(modelAdded(), { triggerId: MODEL.triggerId.toLowerCase() }), field: 'triggerId' },
  { name: 'triggerId: ../x', input: () => invoke(modelAdded(), { triggerId: '../x' }), field: 'triggerId' },
  { name: "triggerId: a path to the batcher's parameters", input: () => invoke(modelAdded(), { triggerId: '../hostile-batcher/labels-trigger' }), field: 'triggerId' },
  { name: 'triggerId: 65 characters', input: () => invoke(modelAdded(), { triggerId: `${MODEL.triggerId}${'x'.repeat(65 - MODEL.triggerId.length)}` }), field: 'triggerId' },
  { name: 'triggerId: unicode', input: () => invoke(modelAdded(), { triggerId: 'ModelAdded-1a2b3c4d\u200b' }), field: 'triggerId' },
  { name: 'triggerId: 250 KB', input: () => invoke(modelAdded(), { triggerId: hugeString() }), field: 'triggerId' },
  { name: 'triggerId: __proto__', input: () => invoke(modelAdded(), { triggerId: '__proto__' }), field: 'triggerId' },
  { name: 'triggerId: constructor', input: () => invoke(modelAdded(), { triggerId: 'constructor' }), field: 'triggerId' },
  { name: 'triggerId: prototype', input: () => invoke(modelAdded(), { triggerId: 'prototype' }), field: 'triggerId' },
  // Forged envelopes.
  { name: 'the legacy envelope: an attacker configuration and no triggerId', input: () => ({ trigger: ATTACKER_CONFIG, event: modelAdded() }), field: 'triggerId' },
  { name: 'the legacy envelope whose configuration names the real trigger', input: () => ({ trigger: { ...ATTACKER_CONFIG, triggerId: MODEL.triggerId }, event: modelAdded() }), field: 'triggerId' },
  {
    name: "the real trigger with an attacker configuration whose pattern matches anything, on the attacker's source",
    input: () => invoke(modelAdded((e) => (e.source = `${ATTACKER}.bus`)), { trigger: ATTACKER_CONFIG }),
    field: 'event',
  },
  {
    name: 'the real trigger with an attacker configuration, on an event the deployed filter drops',
    input: () => ({ ...withData({ model_source: 'civitai' }), trigger: ATTACKER_CONFIG }),
    field: 'event',
  },
  {
    name: 'the real trigger with an attacker configuration beside it, on an event the rule passes',
    input: () => invoke(modelAdded(), { trigger: ATTACKER_CONFIG }),
    starts: modelRun('the rule passes the event: the run uses the deployed pipeline and templates'),
  },
  {
    name: 'the real trigger with configuration fields spread beside the event, on an event the rule passes',
    input: () => invoke(modelAdded(), { ...ATTACKER_CONFIG, triggerId: MODEL.triggerId }),
    starts: modelRun('fields beside triggerId and event are never read'),
  },
  // The event's envelope.
  { name: 'no event', input: () => ({ triggerId: MODEL.triggerId }), field: 'event' },
  { name: 'event: null', input: () => invoke(null), field: 'event' },
  { name: 'event: JSON text of a passing event', input: () => invoke(JSON.stringify(modelAdded())), field: 'event' },
  { name: 'event: a list holding a passing event', input: () => invoke([modelAdded()]), field: 'event' },
  { name: 'event: 10,000 levels deep', input: () => invoke(deepObject()), field: 'event.id' },
  { name: 'event.id: a number', input: () => invoke(modelAdded((e) => (e.id = 7))), field: 'event.id' },
  { name: 'detail-type: missing', input: () => invoke(modelAdded((e) => delete e['detail-type'])), field: 'event.detail-type' },
  { name: 'detail-type: a list holding model.added', input: () => invoke(modelAdded((e) => (e['detail-type'] = ['model.added']))), field: 'event.detail-type' },
  { name: 'detail: missing', input: () => invoke(modelAdded((e) => delete e.detail)), field: 'event.detail' },
  { name: 'detail: a list', input: () => withDetail([{ data: modelData() }]), field: 'event.detail' },
  // Events the trigger's rule would not pass.
  { name: 'another source', input: () => invoke(modelAdded((e) => (e.source = `${ATTACKER}.bus`))), field: 'event' },
  { name: 'the source aws.sagemaker', input: () => invoke(modelAdded((e) => (e.source = 'aws.sagemaker'))), field: 'event' },
  { name: 'no source', input: () => invoke(modelAdded((e) => delete e.source)), field: 'event' },
  { name: 'another detail-type', input: () => invoke(busEvent('model.deleted', modelData())), field: 'event' },
  { name: 'the detail-type __proto__', input: () => invoke(busEvent('__proto__', modelData())), field: 'event' },
  { name: "the join trigger's detail-type", input: () => invoke(busEvent('data_updated', modelData())), field: 'event' },
  { name: "a model.added event sent to the join trigger", input: () => ({ triggerId: JOIN.triggerId, event: modelAdded() }), field: 'event' },
  { name: 'features_ready of another source, sent to the join trigger', input: () => toJoin('features_ready', { version: '9' }, (e) => (e.source = `${ATTACKER}.bus`)), field: 'event' },
  { name: 'model_source: another hub', input: () => withData({ model_source: 'civitai' }), field: 'event' },
  { name: 'model_source: in capitals', input: () => withData({ model_source: 'HUGGING_FACE' }), field: 'event' },
  { name: 'model_source: missing', input: () => withData({ model_source: undefined }), field: 'event' },
  { name: 'model_source: 250 KB', input: () => withData({ model_source: hugeString() }), field: 'event' },
  { name: 'model_source: 100,000 other hubs', input: () => withData({ model_source: manyItems('civitai', VAST) }), field: 'event' },
  { name: 'model_source: 10,000 levels deep', input: () => withData({ model_source: deepObject(undefined, 'hugging_face') }), field: 'event' },
  { name: 'model_source: 10,000 nested lists', input: () => withData({ model_source: JSON.parse(deepArrayJson()) }), field: 'event' },
  { name: 'data: a JSON "__proto__" key holding the matching fields', input: () => withDetail({ event_id: 'evt_proto', data: JSON.parse(`{"__proto__":${JSON.stringify(modelData())}}`) }), field: 'event' },
  { name: 'data: a "constructor" key holding the matching fields', input: () => withDetail({ event_id: 'evt_ctor', data: { constructor: modelData() } }), field: 'event' },
  { name: 'detail: a JSON "__proto__" key holding the data', input: () => withDetail(JSON.parse(`{"__proto__":{"data":${JSON.stringify(modelData())}}}`)), field: 'event' },
  { name: 'a 250 KB event the filter drops', input: () => invoke(busEvent('model.added', modelData({ model_source: 'civitai', padding: hugeString() }))), field: 'event' },
  // Numbers the numeric filter must drop.
  { name: 'size_gb: -1', input: () => withData({ size_gb: -1 }), field: 'event' },
  { name: 'size_gb: 2**60', input: () => withData({ size_gb: 2 ** 60 }), field: 'event' },
  { name: 'size_gb: NaN', input: () => withData({ size_gb: NaN }), field: 'event' },
  { name: 'size_gb: Infinity', input: () => withData({ size_gb: Infinity }), field: 'event' },
  { name: 'size_gb: -Infinity', input: () => withData({ size_gb: -Infinity }), field: 'event' },
  { name: 'size_gb: the string "12"', input: () => withData({ size_gb: '12' }), field: 'event' },
  { name: 'size_gb: missing', input: () => withData({ size_gb: undefined }), field: 'event' },
  // Events the rule passes whose data the templates cannot use.
  { name: 'model_id: 250 KB', input: () => withData({ model_id: hugeString() }), field: 'parameters.ModelId' },
  { name: 'model_id: missing', input: () => withData({ model_id: undefined }), field: 'parameters.ModelId' },
  { name: 'model_id: an object', input: () => withData({ model_id: { toString: 'model_xyz789' } }), field: 'parameters.ModelId' },
  { name: 'model_id: NaN', input: () => withData({ model_id: NaN }), field: 'parameters.ModelId' },
  { name: 'model_source: a list holding hugging_face', input: () => withData({ model_source: ['hugging_face'] }), field: 'parameters.Source' },
  // Times.
  { name: 'time: the year 9999', input: () => withTime('9999-12-31T23:59:59Z'), field: 'event.time' },
  { name: 'time: 30 February', input: () => withTime('2024-02-30T00:00:00Z'), field: 'event.time' },
  { name: 'time: an hour ahead', input: () => withTime(new Date(Date.now() + HOUR).toISOString()), field: 'event.time' },
  { name: 'time: not a date', input: () => withTime('yesterday-ish'), field: 'event.time' },
  { name: 'time: a number', input: () => withTime(Date.now()), field: 'event.time' },
  { name: 'time: the year 275760 and one millisecond', input: () => withTime('+275760-09-13T00:00:00.001Z'), field: 'event.time' },
  { name: 'time: missing', input: () => invoke(modelAdded((e) => delete e.time)), field: 'event.time' },
  { name: 'features_ready of the year 9999, sent to the join trigger', input: () => toJoin('features_ready', { version: '9' }, (e) => (e.time = '9999-12-31T23:59:59Z')), field: 'event.time' },
  {
    name: 'features_ready of 1970, sent to the join trigger',
    input: () => toJoin('features_ready', { version: '9' }, (e) => (e.time = '1970-01-01T00:00:00Z')),
    harmless: 'an occurrence older than the window is dropped: the join keeps waiting, and nothing is written',
  },
  // Events the rule passes: they start the deployed trigger, and only it.
  { name: 'time: 1970, on an event the rule passes', input: () => withTime('1970-01-01T00:00:00Z'), starts: modelRun('an event trigger starts once per event, whatever its age') },
  { name: 'size_gb: 1.5', input: () => withData({ size_gb: 1.5 }), starts: modelRun('1.5 is within the filter [0, 100)') },
  { name: 'event_id: __proto__', input: () => invoke(modelAdded((e) => ((e.detail as Record<string, unknown>).event_id = '__proto__'))), starts: modelRun('an event id is an idempotency key, never a property name') },
  { name: 'a 250 KB field beside the data the templates read', input: () => withData({ padding: hugeString() }), starts: modelRun('fields the templates do not read are never copied') },
  {
    name: 'the join trigger with an attacker configuration of mode event beside it, on features_ready',
    input: () => ({ ...toJoin('features_ready', { version: '7' }), trigger: { ...ATTACKER_CONFIG, triggerId: JOIN.triggerId } }),
    starts: { why: 'the deployed join completes with the waiting data_updated', pipelineName: JOIN.pipelineName, parameters: { Dataset: 's3://features/seed', FeatureVersion: '7' } },
  },
];
