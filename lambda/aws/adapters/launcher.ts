import {
  TERMINAL_REASONS,
  correlationIdOf,
  launchReason,
  requestIdOf,
  startTokenOf,
  type LaunchOutcome,
  type LaunchRequest,
  type Launcher,
} from '../../core/launch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { StartRoute } from '../../core/contracts/shared';
import { CoordinatorClient } from './coordinator-client';
import { PipelineStarter } from './pipeline-starter';

/** Starts the run itself, with the request's token: a repeated start returns the first execution. */
export class DirectLauncher implements Launcher {
  constructor(private readonly starter: Pick<PipelineStarter, 'start' | 'find'>) {}

  readonly withdraw = async (request: LaunchRequest): Promise<LaunchOutcome> => {
    const requestId = requestIdOf(request.triggerType, request.triggerId, request.occasion);
    const found = await this.starter.find(request.pipelineName, correlationIdOf(request.triggerType, request.occasion), request.notBeforeMs ?? 0);
    return found ? { status: 'started', requestId, executionArn: found } : { status: 'refused', requestId, reason: 'withdrawn' };
  };

  async launch(request: LaunchRequest): Promise<LaunchOutcome> {
    const requestId = requestIdOf(request.triggerType, request.triggerId, request.occasion);
    const executionArn = await this.starter.start({
      pipelineName: request.pipelineName,
      clientRequestToken: startTokenOf(request.pipelineName, requestId),
      parameters: request.parameters,
      displayName: request.displayName,
      description: launchReason(request),
      correlationId: correlationIdOf(request.triggerType, request.occasion),
    });
    return { status: 'started', requestId, executionArn };
  }
}

/** Asks a coordinator, which starts the run with the same token, defers it, or refuses it. */
export class CoordinatedLauncher implements Launcher {
  constructor(
    private readonly client: Pick<CoordinatorClient, 'request' | 'withdraw'>,
    private readonly coordinatorFunction: string,
  ) {}

  readonly withdraw = async (request: LaunchRequest): Promise<LaunchOutcome> => {
    const requestId = requestIdOf(request.triggerType, request.triggerId, request.occasion);
    const reply = await this.client.withdraw(this.coordinatorFunction, request.pipelineName, requestId);
    if (reply.start && reply.executionArn) return { status: 'started', requestId, executionArn: reply.executionArn };
    if (TERMINAL_REASONS.has(reply.reason)) return { status: 'refused', requestId, reason: reply.reason, ...(reply.error !== undefined ? { error: reply.error } : {}) };
    throw new Error(`coordinator ${this.coordinatorFunction} could not withdraw ${requestId}: it answered ${reply.reason}`);
  };

  async launch(request: LaunchRequest): Promise<LaunchOutcome> {
    const requestId = requestIdOf(request.triggerType, request.triggerId, request.occasion);
    const reply = await this.client.request(this.coordinatorFunction, {
      requestId,
      pipelineName: request.pipelineName,
      triggerType: request.triggerType,
      reason: launchReason(request),
      priority: request.priority,
      ...(request.dataSizeGb !== undefined ? { dataSizeGb: request.dataSizeGb } : {}),
      ...(request.requireApproval ? { requireApproval: true } : {}),
      correlationId: correlationIdOf(request.triggerType, request.occasion),
      parameters: Object.fromEntries(request.parameters.map((parameter) => [parameter.Name, parameter.Value])),
    });
    if (reply.start && reply.executionArn) return { status: 'started', requestId, executionArn: reply.executionArn };
    if (TERMINAL_REASONS.has(reply.reason)) {
      return { status: 'refused', requestId, reason: reply.reason, ...(reply.error !== undefined ? { error: reply.error } : {}) };
    }
    return { status: 'deferred', requestId, reason: reply.reason, ...(reply.delayUntilMs !== undefined ? { delayUntilMs: reply.delayUntilMs } : {}) };
  }
}

/** The clients a handler creates once; hands out one launcher per route. */
export class Launchers {
  private readonly direct: DirectLauncher;
  private readonly coordinated = new Map<string, CoordinatedLauncher>();

  constructor(
    starter: Pick<PipelineStarter, 'start' | 'find'>,
    private readonly coordinator: Pick<CoordinatorClient, 'request' | 'withdraw'>,
  ) {
    this.direct = new DirectLauncher(starter);
  }

  /** The launcher of a route: direct unless the route names a coordinator function. */
  for(route: StartRoute): Launcher {
    const name = route.coordinatorFunction;
    if (!name) return this.direct;
    let launcher = this.coordinated.get(name);
    if (!launcher) {
      launcher = new CoordinatedLauncher(this.coordinator, name);
      this.coordinated.set(name, launcher);
    }
    return launcher;
  }
}

/** The launchers of a deployed trigger function: SageMaker for its own starts, Lambda for a coordinator's. */
export function deployedLaunchers(): Launchers {
  return new Launchers(new PipelineStarter(new SageMakerClient({})), new CoordinatorClient(new LambdaClient({})));
}
