import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** A run that waits for an operator, as the notification tells it. */
export interface ApprovalNeeded {
  readonly pipelineName: string;
  readonly requestId: string;
  readonly triggerType: string;
  readonly reason: string;
  readonly priority: number;
  readonly estimatedCost: number;
  readonly coordinatorFunction: string;
}

/** Tells the approval topic that a run waits, with the commands that answer it. */
export class ApprovalNotifier {
  constructor(
    private readonly client: SNSClient | undefined,
    private readonly topicArn: string | undefined,
  ) {}

  async notify(needed: ApprovalNeeded): Promise<boolean> {
    if (!this.client || !this.topicArn) return false;
    const answer = (verb: string) =>
      `npx cdk-ml-triggers ${verb} --function ${needed.coordinatorFunction} --pipeline ${needed.pipelineName} --request ${needed.requestId}`;
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: `Approval needed: ${needed.pipelineName}`.slice(0, 100),
        Message: [
          `A ${needed.triggerType} trigger asks to start SageMaker pipeline ${needed.pipelineName}, and the run waits for approval.`,
          `Reason: ${needed.reason}`,
          `Priority: ${needed.priority}; estimated cost: ${needed.estimatedCost}`,
          `Request: ${needed.requestId}`,
          '',
          `Approve: ${answer('approve')}`,
          `Reject:  ${answer('reject')}`,
          'Until then, no other run of this pipeline starts.',
        ].join('\n'),
        MessageAttributes: {
          pipelineName: { DataType: 'String', StringValue: needed.pipelineName },
          requestId: { DataType: 'String', StringValue: needed.requestId },
        },
      }),
    );
    return true;
  }
}
