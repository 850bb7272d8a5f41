import { App, Stack } from 'aws-cdk-lib';
import { EventSchema, TriggerEventBus } from '../lib';
import { PublishError, publishEvent, publishEvents, safePublish, type BusTarget } from '../lib/publish';
import type { FakeEventBridge } from './support/fake-eventbridge';
import { modelAdded, publishError, target, usePublishEnvironment } from './support/publish-environment';

jest.setTimeout(30_000);

let fake: FakeEventBridge;
usePublishEnvironment((started) => (fake = started));

const MODEL_ADDED_SCHEMA = {
  type: 'object',
  properties: {
    model_id: { type: 'string', minLength: 1 },
    model_source: { enum: ['hugging_face', 'internal'] },
    owner: { type: 'object', properties: { team: { type: 'string' } } },
  },
  required: ['model_id'],
};
const typed: BusTarget = { ...target, schemas: { 'model.added': MODEL_ADDED_SCHEMA } };
const withData = (fields: Record<string, unknown>) => ({ ...modelAdded, data: { ...(modelAdded.data as object), ...fields } });

describe('publishing typed events', () => {
  test('sends an event whose data conforms to the schema its name declares', async () => {
    const { eventId } = await publishEvent(typed, 'model.added', withData({ owner: { team: 'ml' } }));

    expect(fake.accepted.map((entry) => entry.eventId)).toEqual([eventId]);
  });

  test('refuses an event whose data fails, naming the field as the Python client does, and sends nothing', async () => {
    const error = await publishError(publishEvent(typed, 'model.added', withData({ owner: { team: 7 } })));

    expect(error).toMatchObject({ code: 'SchemaViolation', entryIndex: 0, message: 'data.owner.team: must be a string (the schema declared for model.added)' });
    expect(fake.calls).toHaveLength(0);
  });

  test('validates the data as it is sent: absent data is an empty object', async () => {
    const { data: _data, ...withoutData } = modelAdded;

    const error = await publishError(publishEvent(typed, 'model.added', withoutData));

    expect(error.message).toMatch(/^data\.model_id: is required/);
  });

  test('fails only the failing event of a list', async () => {
    const outcomes = await publishEvents(typed, [{ name: 'model.added', payload: withData({ model_source: 's3' }) }, { name: 'model.added', payload: modelAdded }]);

    expect(outcomes[0]).toBeInstanceOf(PublishError);
    expect(outcomes[0]).toMatchObject({ code: 'SchemaViolation', message: expect.stringMatching(/^data\.model_source: must be one of "hugging_face", "internal"/) });
    expect(fake.accepted).toHaveLength(1);
  });

  test('leaves a name without a schema untyped', async () => {
    await publishEvent(typed, 'data_updated', { data: { anything: [1, { x: null }] } });

    expect(fake.accepted).toHaveLength(1);
  });

  test('safePublish validates even where it would not send', async () => {
    const error = await publishError(safePublish(typed, 'model.added', withData({ model_id: '' }), { mode: 'never' }));

    expect(error.message).toBe('data.model_id: must be at least 1 characters long (the schema declared for model.added)');
  });

  test('refuses a schema outside the subset before sending', async () => {
    const bad: BusTarget = { ...target, schemas: { 'model.added': { type: 'object', properties: { a: { pattern: '^x' } } } } };

    const error = await publishError(publishEvent(bad, 'model.added', modelAdded));

    expect(error).toMatchObject({ code: 'InvalidSchema', message: expect.stringContaining('schema.properties.a.pattern: is not supported') });
    expect(fake.calls).toHaveLength(0);
  });

  test("a bus's publishTarget carries the schemas it declares, which the client validates against", async () => {
    const bus = new TriggerEventBus(new Stack(new App(), 'Bus'), 'Bus', { project: 'demo' });
    bus.declareEvent('model.added', { schema: EventSchema.fromJson(MODEL_ADDED_SCHEMA) });
    const fromBus: BusTarget = { ...target, schemas: bus.publishTarget.schemas };

    const error = await publishError(publishEvent(fromBus, 'model.added', withData({ model_id: 3 })));

    expect(bus.publishTarget.schemas).toEqual({ 'model.added': MODEL_ADDED_SCHEMA });
    expect(error.message).toBe('data.model_id: must be a string (the schema declared for model.added)');
  });
});
