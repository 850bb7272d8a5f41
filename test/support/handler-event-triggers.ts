import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { asDeployed, TEST_CONFIG_PATH, type FakeSsm } from './fake-ssm';
import { HandlerServices, type FakeLambda } from './handler-harness';
import type { FakeSageMaker } from './local-services';
import { createKeyedTable } from './tables';

export type EventsHandler = typeof import('../../lambda/aws/events').handler;

const FIXTURES = path.resolve(__dirname, '../fixtures');
export const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
export const HOUR = 3_600_000;
export const BUS_SOURCE = 'ml-triggers.churn.main';
export const EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';
const JOIN_TABLE = 'joins';

/** A platform event as the bus delivers it: the published payload is the EventBridge event's detail. */
export function busEvent(name: string, detail: Record<string, unknown>, time = new Date().toISOString(), id = `eb-${Math.random().toString(36).slice(2)}`) {
  return { version: '0', id, 'detail-type': name, source: BUS_SOURCE, account: '123456789012', time, region: 'eu-west-1', resources: [], detail };
}

/** A trigger's configuration as deployed; its rule's pattern passes the bus's events of the trigger's names unless `extra` says otherwise. */
export function trigger(triggerId: string, extra: Record<string, unknown>) {
  const events = (extra.events as string[] | undefined) ?? ['model.added'];
  return {
    triggerId,
    pipelineName: `pipeline-${triggerId}`,
    pattern: { source: [BUS_SOURCE], 'detail-type': events },
    mode: 'event',
    events,
    parameters: {},
    ...extra,
  };
}

/** A chain's configuration: its rule passes the status changes of `upstreamArn` (in any case) to Succeeded. */
export function chainAfter(triggerId: string, upstreamArn: string, extra: Record<string, unknown> = {}) {
  return trigger(triggerId, {
    mode: 'chain',
    events: [],
    pattern: {
      source: ['aws.sagemaker'],
      'detail-type': [EXECUTION_STATUS_CHANGE],
      detail: { pipelineArn: [{ 'equals-ignore-case': upstreamArn }], currentPipelineExecutionStatus: ['Succeeded'] },
    },
    ...extra,
  });
}

/** The event trigger function with its join table in dynalite, its configurations in SSM, SageMaker, and a scripted coordinator. */
export class EventTriggerWorld {
  /** What the scripted coordinator answers next, in order; it defers when the script is empty. */
  readonly coordinatorAnswers: unknown[] = [];
  private running?: { readonly services: HandlerServices; readonly joinTable: DynamoDBClient; readonly lambdaHandler: EventsHandler };

  async start(): Promise<void> {
    const services = await HandlerServices.start({
      dynamodb: true,
      ssm: true,
      lambda: { 'join-coordinator': async () => this.coordinatorAnswers.shift() ?? { start: false, reason: 'cooldown', delayUntilMs: Date.now() + HOUR } },
      env: { TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH, TRIGGER_CONFIG_VERSION: 'first-deployment', JOIN_TABLE_NAME: JOIN_TABLE },
    });
    const joinTable = new DynamoDBClient({});
    await createKeyedTable(joinTable, JOIN_TABLE);
    const { handler } = await import('../../lambda/aws/events');
    this.running = { services, joinTable, lambdaHandler: handler };
  }

  /** The function as deployed: it receives `{ triggerId, event }` and reads the configuration itself. */
  readonly lambdaHandler: EventsHandler = (input) => this.started().lambdaHandler(input);
  /** The same function, taking `{ trigger, event }`: the configuration is deployed first, then only the id is sent. */
  readonly handler = (input: unknown): ReturnType<EventsHandler> => asDeployed(this.ssm, this.lambdaHandler)(input);

  get sagemaker(): FakeSageMaker {
    return this.started().services.sagemaker;
  }

  get ssm(): FakeSsm {
    return this.started().services.ssm;
  }

  get lambda(): FakeLambda {
    return this.started().services.lambda;
  }

  runsOf(triggerId: string) {
    return this.sagemaker.executions.filter((e) => e.pipelineName === `pipeline-${triggerId}`);
  }

  async joinItems() {
    return (await this.started().joinTable.send(new ScanCommand({ TableName: JOIN_TABLE, ConsistentRead: true }))).Items ?? [];
  }

  async stop(): Promise<void> {
    this.started().joinTable.destroy();
    await this.started().services.stop();
  }

  private started() {
    if (!this.running) throw new Error('start() first');
    return this.running;
  }
}
