import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BaselineSource } from '../lambda/core/contracts/drift-monitor';

/** What a monitor compares the endpoint's traffic with. */
export abstract class DriftBaseline {
  /**
   * A sample of the training data in S3, CSV (columns in the order of `features`, with or without a header
   * row) or JSON lines (one object per row, keyed by feature name). The monitor builds its baseline from it on
   * its first run, and again when the object changes.
   */
  public static trainingSample(props: { readonly bucket: s3.IBucket; readonly key: string; readonly format?: 'csv' | 'jsonl'; readonly header?: boolean }): DriftBaseline {
    return new SampleBaseline(props.bucket, props.key, props.format ?? 'csv', props.header ?? false);
  }

  /**
   * A Model Monitor `statistics.json` (its baselining job's output), for teams moving off Model Monitor: its
   * histogram buckets become the baseline's bins and categories.
   */
  public static modelMonitorStatistics(props: { readonly bucket: s3.IBucket; readonly key: string }): DriftBaseline {
    return new StatisticsBaseline(props.bucket, props.key);
  }

  /** @internal */
  public abstract readonly _bucket: s3.IBucket;
  /** @internal */
  public abstract _source(): BaselineSource;
}

class SampleBaseline extends DriftBaseline {
  constructor(
    public readonly _bucket: s3.IBucket,
    private readonly key: string,
    private readonly format: 'csv' | 'jsonl',
    private readonly header: boolean,
  ) {
    super();
  }
  public _source(): BaselineSource {
    return { kind: 'training-sample', bucket: this._bucket.bucketName, key: this.key, format: this.format, header: this.header };
  }
}

class StatisticsBaseline extends DriftBaseline {
  constructor(
    public readonly _bucket: s3.IBucket,
    private readonly key: string,
  ) {
    super();
  }
  public _source(): BaselineSource {
    return { kind: 'model-monitor-statistics', bucket: this._bucket.bucketName, key: this.key };
  }
}
