import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** Sends drift findings to the team topic (retrains that need approval) or the human-review topic. */
export class ReviewNotifier {
  constructor(private readonly client: SNSClient) {}

  async notify(topicArn: string | undefined, subject: string, lines: readonly string[], attributes: Readonly<Record<string, string>>): Promise<boolean> {
    if (!topicArn) return false;
    await this.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject.slice(0, 100),
        Message: lines.join('\n'),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
    return true;
  }
}
