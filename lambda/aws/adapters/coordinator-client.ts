import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { StartRequest } from '../../core/coordination';

/** The coordinator's answer to a start request. */
export interface CoordinatorReply {
  readonly start: boolean;
  readonly reason: string;
  readonly delayUntilMs?: number;
  readonly executionArn?: string;
  /** Why the start failed, when reason is `start-failed`. */
  readonly error?: string;
}

/** Sends start requests to a retraining coordinator function and waits for its decision. */
export class CoordinatorClient {
  constructor(private readonly client: LambdaClient) {}

  async request(functionName: string, request: StartRequest): Promise<CoordinatorReply> {
    return this.invoke(functionName, { action: 'request', request });
  }

  /** Withdraws a request: the reply says `withdrawn` (it will never start) or `start` with its execution. */
  async withdraw(functionName: string, pipelineName: string, requestId: string): Promise<CoordinatorReply> {
    return this.invoke(functionName, { action: 'withdraw', pipelineName, requestId });
  }

  private async invoke(functionName: string, payload: Readonly<Record<string, unknown>>): Promise<CoordinatorReply> {
    const response = await this.client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
    const body = response.Payload ? JSON.parse(new TextDecoder().decode(response.Payload)) : undefined;
    if (response.FunctionError) {
      throw new Error(`coordinator ${functionName} failed: ${body?.errorMessage ?? response.FunctionError}`);
    }
    if (!body || typeof body.start !== 'boolean') {
      const problem = body?.error ? `${body.error.field} ${body.error.problem}` : 'no decision';
      throw new Error(`coordinator ${functionName} refused the request: ${problem}`);
    }
    return body as CoordinatorReply;
  }
}
