import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { DEFAULT_POLICY } from '../../lambda/core/contracts/coordinator';
import { ApprovalNotifier, type ApprovalNeeded } from '../../lambda/aws/adapters/approval-notifier';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import type { CoordinatorDeps } from '../../lambda/aws/coordinator/coordinator-steps';
import { CoordinatorStore } from '../../lambda/aws/coordinator/coordinator-store';
import type { InvokedFunction } from './fake-aws-endpoints';
import { HandlerServices, type FakeSns, type HandlerServiceOptions } from './handler-harness';
import type { FakeSageMaker, RecordedExecution } from './local-services';
import { createKeyedTable } from './tables';

export const HOUR = 3_600_000;
export const T0 = Date.parse('2027-03-01T08:00:00Z');
export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:approvals';
/** How long the coordinator's stores keep decisions in these tests. */
export const RETENTION_MS = 90 * 24 * HOUR;

/**
 * The coordinator function's services and settings, as deployed as `coordinator-fn` with its table, approval
 * topic and a policy of a 6-hour cooldown and at most 4 runs and 1,000 a day; `coordinator` runs its invocations.
 */
export function coordinatorFunction(table: string, coordinator: InvokedFunction): HandlerServiceOptions {
  return {
    dynamodb: true,
    sns: true,
    lambda: { 'coordinator-fn': coordinator },
    env: {
      AWS_LAMBDA_FUNCTION_NAME: 'coordinator-fn',
      COORDINATOR_TABLE_NAME: table,
      APPROVAL_TOPIC_ARN: TOPIC,
      COORDINATOR_POLICY: JSON.stringify({ minIntervalMs: 6 * HOUR, maxDailyRuns: 4, dailyBudget: 1000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' }),
    },
  };
}

/** The coordinator's surroundings: dynalite, SageMaker and SNS, and the clock every coordinator built here reads. */
export class CoordinatorWorld {
  static async start(): Promise<CoordinatorWorld> {
    return new CoordinatorWorld(await HandlerServices.start({ dynamodb: true, sns: true }));
  }

  /** The time the coordinators see; a test moves it. */
  clock = T0;
  readonly client = new DynamoDBClient({});

  private constructor(private readonly services: HandlerServices) {}

  get sagemaker(): FakeSageMaker {
    return this.services.sagemaker;
  }

  get sns(): FakeSns {
    return this.services.sns;
  }

  /** Creates the table `name` and a store on it. */
  async store(name: string): Promise<CoordinatorStore> {
    await createKeyedTable(this.client, name);
    return new CoordinatorStore(this.client, name, RETENTION_MS);
  }

  /** What a coordinator on `store` needs: SageMaker's starter, SNS's notifier, the default policy, this clock; `overrides` replace any of them. */
  deps(store: CoordinatorStore, overrides: Partial<CoordinatorDeps> = {}): CoordinatorDeps {
    return {
      store,
      starter: new PipelineStarter(new SageMakerClient({ maxAttempts: 1 })),
      notifier: new ApprovalNotifier(new SNSClient({}), TOPIC),
      policy: DEFAULT_POLICY,
      observer: { decided: () => undefined },
      functionName: 'coordinator-fn',
      now: () => this.clock,
      owner: () => `owner-${Math.random()}`,
      pause: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
      random: Math.random,
      ...overrides,
    };
  }

  /** SNS's notifier, whose first `failures` notices fail before they are published. */
  flakyNotifier(failures: number): Pick<ApprovalNotifier, 'notify'> {
    const real = new ApprovalNotifier(new SNSClient({}), TOPIC);
    let left = failures;
    return {
      notify: async (needed: ApprovalNeeded) => {
        if (left-- > 0) throw new Error('SNS unavailable');
        return real.notify(needed);
      },
    };
  }

  executionsOf(pipelineName: string): RecordedExecution[] {
    return this.sagemaker.executions.filter((e) => e.pipelineName === pipelineName);
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.services.stop();
  }
}
