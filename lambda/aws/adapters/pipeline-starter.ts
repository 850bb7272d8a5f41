import { ListPipelineExecutionsCommand, StartPipelineExecutionCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { PipelineParameter } from '../../core/pipeline-parameters';

/** One start of a SageMaker pipeline, with the idempotency token that makes a repeat start nothing. */
export interface StartRequest {
  readonly pipelineName: string;
  readonly clientRequestToken: string;
  readonly parameters: readonly PipelineParameter[];
  readonly displayName: string;
  readonly description: string;
  /** Follows the start from the triggering event; written into the execution's description. */
  readonly correlationId?: string;
}

/** Starts SageMaker pipelines; shared by every trigger's handler so all starts are idempotent alike. */
export class PipelineStarter {
  constructor(private readonly client: SageMakerClient) {}

  /** Returns the execution ARN: the existing one when the token was used before. */
  async start(request: StartRequest): Promise<string> {
    const response = await this.client.send(
      new StartPipelineExecutionCommand({
        PipelineName: request.pipelineName,
        ClientRequestToken: request.clientRequestToken,
        PipelineParameters: request.parameters.map((parameter) => ({ Name: parameter.Name, Value: parameter.Value })),
        PipelineExecutionDisplayName: request.displayName,
        PipelineExecutionDescription: describeRun(request),
      }),
    );
    if (!response.PipelineExecutionArn) throw new Error('StartPipelineExecution returned no PipelineExecutionArn');
    return response.PipelineExecutionArn;
  }

  /**
   * The execution of `pipelineName` whose description carries `correlationId`, created at or after `createdAfterMs`:
   * whether a start whose every reply was lost happened after all. Reads at most 1,000 executions, newest first.
   */
  async find(pipelineName: string, correlationId: string, createdAfterMs: number): Promise<string | undefined> {
    const mark = `[correlation ${correlationId}]`;
    let nextToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await this.client.send(
        new ListPipelineExecutionsCommand({
          PipelineName: pipelineName,
          CreatedAfter: new Date(createdAfterMs),
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      const found = response.PipelineExecutionSummaries?.find((summary) => summary.PipelineExecutionDescription?.endsWith(mark));
      if (found?.PipelineExecutionArn) return found.PipelineExecutionArn;
      nextToken = response.NextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }
}

/** A short, loggable description of an error from any SDK call. */
export function describeError(error: unknown): { readonly name: string; readonly message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message.slice(0, 500) };
  return { name: 'UnknownError', message: String(error).slice(0, 500) };
}

/** The execution's description: what started it, and the correlation id that finds the whole path. */
export function describeRun(request: StartRequest): string {
  const correlation = request.correlationId ? ` [correlation ${request.correlationId}]` : '';
  return `${request.description.slice(0, 3072 - correlation.length)}${correlation}`;
}
