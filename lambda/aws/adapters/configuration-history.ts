import { GetParameterHistoryCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { latestOffPeriod, type ConfigurationVersion, type OffPeriod } from '../../core/configuration-history';
import { isRecord } from '../../core/result';
import type { TriggerConfigSource } from './trigger-configs';

/**
 * When the deployment turned a trigger off and back on: read from the history of the parameter the deployment
 * wrote its configuration into (a page of 50 versions per call; Parameter Store keeps the last 100).
 */
export class ConfigurationHistory {
  constructor(
    private readonly ssm: Pick<SSMClient, 'send'>,
    private readonly source: () => TriggerConfigSource,
  ) {}

  /** The latest period the trigger was off, or undefined when its configuration's history has none. */
  async latestOffPeriod(triggerId: string): Promise<OffPeriod | undefined> {
    const name = await this.holder(triggerId);
    if (name === undefined) return undefined;
    const versions: ConfigurationVersion[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: nextToken }));
      for (const version of page.Parameters ?? []) {
        if (version.Value !== undefined && version.LastModifiedDate !== undefined) versions.push({ value: version.Value, modifiedMs: version.LastModifiedDate.getTime() });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return latestOffPeriod(versions, triggerId);
  }

  /** The parameter under the path that holds the trigger's configuration now. */
  private async holder(triggerId: string): Promise<string | undefined> {
    const path = this.source().path;
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: path.slice(0, -1), Recursive: false, MaxResults: 10, NextToken: nextToken }));
      for (const parameter of page.Parameters ?? []) {
        if (parameter.Name !== undefined && holds(parameter.Value, triggerId)) return parameter.Name;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return undefined;
  }
}

function holds(value: string | undefined, triggerId: string): boolean {
  try {
    const pack: unknown = JSON.parse(value ?? '');
    return isRecord(pack) && Object.prototype.hasOwnProperty.call(pack, triggerId);
  } catch {
    return false;
  }
}
