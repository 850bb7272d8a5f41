import { captureStdout, emfDocuments, quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { busEvent, EventTriggerWorld, fixture, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

const MODEL_ADDED = {
  type: 'object',
  properties: { model_id: { type: 'string' }, owner: { type: 'object', properties: { team: { type: 'string' } } } },
  required: ['model_id'],
};
const FEATURES_READY = { type: 'object', properties: { version: { type: 'string' } }, required: ['version'] };

describe('event trigger function on typed events, against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  test('drops an event whose data fails its schema, naming the field, counts it, and starts nothing', async () => {
    // Prepare
    const config = trigger('typed-drop', { schemas: { 'model.added': MODEL_ADDED }, parameters: { ModelId: '{{ event.model_id }}' } });
    const written = captureStdout();

    // Act
    const outcome = await world.handler({ trigger: config, event: busEvent('model.added', { event_id: 'bad', data: { model_id: 'm-1', owner: { team: 7 } } }) });

    // Assess
    expect(outcome).toEqual({ status: 'rejected', error: { field: 'data.owner.team', problem: 'must be a string (the schema declared for model.added)' } });
    expect(world.runsOf('typed-drop')).toEqual([]);
    const [emf] = emfDocuments(written);
    expect(emf).toMatchObject({ service: 'EventTriggers', EventsReceived: 1, EventsFailingSchema: 1, EventsRejected: 1 });
    expect(emf).not.toHaveProperty('StartRequests');
  });

  test('starts for an event whose data conforms, and counts no schema failure', async () => {
    // Prepare
    const config = trigger('typed-start', { schemas: { 'model.added': MODEL_ADDED }, parameters: { ModelId: '{{ event.model_id }}' } });
    const written = captureStdout();

    // Act
    const outcome = await world.handler({ trigger: config, event: busEvent('model.added', fixture('events/platform-model-added.json')) });

    // Assess
    expect(outcome).toMatchObject({ status: 'started' });
    expect(world.runsOf('typed-start').map((run) => run.parameters)).toEqual([{ ModelId: 'model_xyz789' }]);
    expect(emfDocuments(written)[0]).not.toHaveProperty('EventsFailingSchema');
  });

  test('a failing half of a join is never recorded: the join still waits for a conforming one', async () => {
    // Prepare
    const config = trigger('typed-join', {
      mode: 'join',
      events: ['model.added', 'features_ready'],
      schemas: { 'model.added': MODEL_ADDED, features_ready: FEATURES_READY },
      parameters: { ModelId: '{{ events["model.added"].model_id }}', Version: '{{ events.features_ready.version }}' },
    });

    // Act
    const bad = await world.handler({ trigger: config, event: busEvent('features_ready', { event_id: 'f-bad', data: {} }) });
    const model = await world.handler({ trigger: config, event: busEvent('model.added', { event_id: 'm', data: { model_id: 'm-9' } }) });
    const good = await world.handler({ trigger: config, event: busEvent('features_ready', { event_id: 'f-good', data: { version: '3' } }) });

    // Assess
    expect(bad).toMatchObject({ status: 'rejected', error: { field: 'data.version', problem: expect.stringMatching(/^is required/) } });
    expect(model).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
    expect(good).toMatchObject({ status: 'started' });
    expect(world.runsOf('typed-join').map((run) => run.parameters)).toEqual([{ ModelId: 'm-9', Version: '3' }]);
  });

  test('a debounced trigger drops a failing event when the rule delivers it, and its delayed copy starts nothing', async () => {
    // Prepare
    const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:Events-Debouncetypeddebounce';
    const config = trigger('typed-debounce', { schemas: { 'model.added': MODEL_ADDED }, debounceSeconds: 300, debounceQueueArn: queueArn, parameters: { ModelId: '{{ event.model_id }}' } });
    const sentAtMs = Date.now() - 10 * 60_000;
    const event = busEvent('model.added', { event_id: 'late-bad', data: { owner: { team: 'ml' } } }, new Date(sentAtMs).toISOString());
    const delayed = {
      messageId: 'm-typed', receiptHandle: 'r-typed', body: JSON.stringify({ triggerId: config.triggerId, event }),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentAtMs), SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: String(sentAtMs) },
      messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'eu-west-1',
    };

    // Act
    const immediate = await world.handler({ trigger: config, event });
    const fromQueue = await world.lambdaHandler({ Records: [delayed] });

    // Assess
    expect(immediate).toMatchObject({ status: 'rejected', error: { field: 'data.model_id', problem: expect.stringMatching(/^is required/) } });
    expect(fromQueue).toMatchObject({ status: 'received', batchItemFailures: [], outcomes: [{ status: 'rejected', error: { field: 'Records[0].body.event.detail.data.model_id' } }] });
    expect(world.runsOf('typed-debounce')).toEqual([]);
  });

  test('a deployed schema outside the subset is refused when the configuration is read, never used', async () => {
    // Prepare
    const config = trigger('typed-bad-schema', { schemas: { 'model.added': { type: 'object', properties: { a: { pattern: '(a+)+$' } } } } });

    // Act
    const outcome = await world.handler({ trigger: config, event: busEvent('model.added', { event_id: 'x', data: { a: 'aaaa' } }) });

    // Assess
    expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'trigger.schemas.model.added.properties.a.pattern', problem: expect.stringMatching(/^is not supported/) } });
    expect(world.runsOf('typed-bad-schema')).toEqual([]);
  });
});
