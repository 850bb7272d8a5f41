import { captureStdout, emfDocuments, quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { busEvent, chainAfter, EventTriggerWorld, fixture, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

describe('event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  test('the model.added fixture starts the pipeline with parameters rendered from its data, once however often it is delivered', async () => {
    const config = trigger('auto-deploy', { parameters: { ModelId: '{{ event.model_id }}', DeploymentName: '{{ event.model_name }}-auto', Team: "{{ event.team | default: 'ml' }}" } });
    const event = busEvent('model.added', fixture('events/platform-model-added.json'));

    const first = await world.handler({ trigger: config, event });
    const again = await world.handler({ trigger: config, event: { ...event, id: 'a-redelivery-with-another-eventbridge-id' } });

    expect(first).toMatchObject({ status: 'started' });
    expect(again).toEqual(first);
    expect(world.runsOf('auto-deploy').map((e) => e.parameters)).toEqual([{ ModelId: 'model_xyz789', DeploymentName: 'Llama-3.2-1B-auto', Team: 'ml' }]);
    // The platform's event id follows the start into the run's description.
    expect(world.runsOf('auto-deploy')[0].description).toMatch(/\[correlation evt:event#evt_abc123\]$/);
  });

  test('publishes EMF metrics: events received, start requests, and the latency from the event to the start', async () => {
    const written = captureStdout();
    const sent = new Date(Date.now() - 5_000).toISOString();

    await world.handler({ trigger: trigger('metrics', {}), event: busEvent('model.added', { event_id: 'evt_metrics', data: {} }, sent) });

    const emf = emfDocuments(written);
    expect(emf[0]).toMatchObject({ service: 'EventTriggers', TriggerType: 'Event', EventsReceived: 1, StartRequests: 1 });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
    expect(emf[0].EventToStartLatency).toBeGreaterThanOrEqual(5_000);
  });

  test('a field the event lacks, with no default, rejects the event naming the parameter, and starts nothing', async () => {
    const config = trigger('missing-field', { parameters: { Dataset: '{{ event.dataset_uri }}' } });

    const result = await world.handler({ trigger: config, event: busEvent('model.added', fixture('events/platform-model-added.json')) });

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Dataset'), problem: expect.stringContaining('dataset_uri') } });
    expect(world.runsOf('missing-field')).toEqual([]);
  });

  test('event content cannot inject: template text in a value stays literal, and object internals are never read', async () => {
    const config = trigger('injection', { parameters: { Name: '{{ event.model_name }}', Proto: "{{ event.__proto__ | default: 'none' }}" } });
    const detail = { event_id: 'evt_inject', data: { model_name: '{{ event.secret }}', secret: 'do-not-leak' } };

    await world.handler({ trigger: config, event: busEvent('model.added', detail) });

    expect(world.runsOf('injection').map((e) => e.parameters)).toEqual([{ Name: '{{ event.secret }}', Proto: 'none' }]);
  });

  test('a rendered value over SageMaker\'s 1,024 characters is rejected, naming the parameter', async () => {
    const config = trigger('too-long', { parameters: { Notes: '{{ event.notes }}' } });

    const result = await world.handler({ trigger: config, event: busEvent('model.added', { event_id: 'evt_long', data: { notes: 'x'.repeat(2000) } }) });

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Notes') } });
    expect(world.runsOf('too-long')).toEqual([]);
  });

  test('a chain starts after the upstream execution succeeded, passing its ARN; a repeated status change starts nothing new', async () => {
    // The rule of a chain after training-pipeline: SageMaker sends the ARN in lower case.
    const config = chainAfter('chain', 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/Training-Pipeline', { parameters: { Upstream: '{{ event.pipelineExecutionDisplayName }}' } });
    const succeeded = fixture('events/sagemaker-pipeline-execution-status-change.json');

    await world.handler({ trigger: config, event: succeeded });
    await world.handler({ trigger: config, event: { ...succeeded, id: 'sent-again' } });

    expect(world.runsOf('chain').map((e) => e.parameters)).toEqual([
      { Upstream: 'event-driven-2024-01-29-12', UpstreamExecutionArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline/execution/6xn1ypxw2k5c' },
    ]);
  });

  test.each<[string, unknown, string]>([
    ['no trigger id', { event: busEvent('model.added', {}) }, 'triggerId'],
    ['no pattern deployed', { trigger: { ...trigger('bad', {}), pattern: undefined }, event: busEvent('model.added', {}) }, 'trigger.pattern'],
    ['no detail', { trigger: trigger('bad', {}), event: { id: 'x', 'detail-type': 'model.added', time: new Date().toISOString() } }, 'event.detail'],
    ['an unknown mode', { trigger: trigger('bad', { mode: 'sometimes' }), event: busEvent('model.added', {}) }, 'trigger.mode'],
    ['a broken template', { trigger: trigger('bad', { parameters: { X: '{{ event.x' } }), event: busEvent('model.added', {}) }, 'trigger.parameters.X'],
  ])('an input with %s is rejected naming the field', async (_what, input, field) => {
    const result = await world.handler(input);

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining(field) } });
  });
});
