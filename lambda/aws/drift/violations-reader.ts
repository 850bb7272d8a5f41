import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { MonitoringOutput } from '../../core/contracts/drift';

export type ViolationsLookup =
  | { readonly found: true; readonly uri: string; readonly body: string }
  | { readonly found: false; readonly uri: string; readonly problem: string };

/** How many days before the alarm the reader looks for the execution that raised it. */
export const LOOKBACK_DAYS = 7;
const DAY_MS = 86_400_000;
const REPORT = /\/(\d{2})\/constraint_violations\.json$/;

/**
 * Finds the violations report of the newest monitoring execution at or before an alarm, by Model
 * Monitor's date layout: the alarm's day folder first, then the days before it, taking the latest hour
 * that holds a `constraint_violations.json` and is not later than the alarm. Reading by the layout,
 * rather than taking the first key of a listing, is what finds the execution that raised the alarm.
 */
export class ViolationsReader {
  constructor(private readonly client: S3Client) {}

  async newest(output: MonitoringOutput, endpointName: string, scheduleName: string, alarmAt: string): Promise<ViolationsLookup> {
    const schedulePrefix = `${output.prefix}${endpointName}/${scheduleName}/`;
    const alarmMs = Date.parse(alarmAt);
    for (let back = 0; back < LOOKBACK_DAYS; back++) {
      const day = new Date(alarmMs - back * DAY_MS).toISOString();
      const dayPrefix = `${schedulePrefix}${day.slice(0, 4)}/${day.slice(5, 7)}/${day.slice(8, 10)}/`;
      const latestHour = back === 0 ? day.slice(11, 13) : '23';
      const key = (await this.keys(output.bucket, dayPrefix))
        .filter((candidate) => {
          const match = REPORT.exec(candidate);
          return match !== null && candidate === `${dayPrefix}${match[1]}/constraint_violations.json` && match[1] <= latestHour;
        })
        .sort()
        .at(-1);
      if (key) return this.read(output.bucket, key);
    }
    return {
      found: false,
      uri: `s3://${output.bucket}/${schedulePrefix}`,
      problem: `no constraint_violations.json in the ${LOOKBACK_DAYS} days up to the alarm`,
    };
  }

  /** A report at a known key: a drift monitor's, named by its message. */
  async report(bucket: string, key: string): Promise<ViolationsLookup> {
    return this.read(bucket, key);
  }

  private async read(bucket: string, key: string): Promise<ViolationsLookup> {
    const uri = `s3://${bucket}/${key}`;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { found: true, uri, body: (await object.Body?.transformToString()) ?? '' };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        return { found: false, uri, problem: 'the report disappeared between listing and reading' };
      }
      throw error;
    }
  }

  /** Every key under one day's folder: at most 24 executions' worth of files. */
  private async keys(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}
