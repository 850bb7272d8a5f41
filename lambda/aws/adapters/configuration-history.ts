import { GetParameterHistoryCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { latestOffPeriod, type ConfigurationVersion, type OffPeriod } from '../../core/configuration-history';
import type { TriggerConfigSource } from './trigger-configs';

/**
 * When the deployment turned a trigger off and back on: read from the history of the parameters the deployment
 * wrote the configurations into, under the function's path (a page of 50 versions per call; Parameter Store keeps
 * each parameter's last 100).
 */
export class ConfigurationHistory {
  constructor(
    private readonly ssm: Pick<SSMClient, 'send'>,
    private readonly source: () => TriggerConfigSource,
  ) {}

  /** The latest period the trigger was off, or undefined when its configurations' history has none. */
  async latestOffPeriod(triggerId: string): Promise<OffPeriod | undefined> {
    return latestOffPeriod((await this.versions()).versions, triggerId);
  }

  /** Every parameter under the path, with its value now, and every version of them Parameter Store keeps. */
  async versions(): Promise<{ readonly current: ReadonlyMap<string, string>; readonly versions: readonly ConfigurationVersion[] }> {
    const path = this.source().path;
    if (path.length < 3 || !path.startsWith('/') || !path.endsWith('/')) throw new Error('TRIGGER_CONFIG_PATH is not set to a parameter path');
    const current = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: path.slice(0, -1), Recursive: false, MaxResults: 10, NextToken: nextToken }));
      for (const parameter of page.Parameters ?? []) if (parameter.Name !== undefined) current.set(parameter.Name, parameter.Value ?? '');
      nextToken = page.NextToken;
    } while (nextToken);
    const versions = (await Promise.all([...current.keys()].map((name) => this.history(name)))).flat();
    return { current, versions };
  }

  private async history(name: string): Promise<ConfigurationVersion[]> {
    const versions: ConfigurationVersion[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50, NextToken: nextToken }));
      for (const version of page.Parameters ?? []) {
        if (version.Value === undefined || version.LastModifiedDate === undefined) continue;
        versions.push({ parameter: name, ...(version.Version !== undefined ? { version: version.Version } : {}), modifiedMs: version.LastModifiedDate.getTime(), value: version.Value });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return versions;
  }
}
