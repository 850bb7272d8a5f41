import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BaselineSource } from '../lambda/core/contracts/drift-monitor';

/** The format of a training sample. */
export enum TrainingSampleFormat {
  /** Comma-separated values, columns in the order of the monitor's `features`. */
  CSV = 'csv',
  /** JSON lines: one object per row, keyed by feature name. */
  JSONL = 'jsonl',
}

/** A sample of the training data in S3, for {@link DriftBaseline.trainingSample}. */
export interface TrainingSampleBaselineProps {
  /** The bucket that holds the sample. */
  readonly bucket: s3.IBucket;
  /** The sample's key. */
  readonly key: string;
  /**
   * The sample's format.
   * @default TrainingSampleFormat.CSV
   */
  readonly format?: TrainingSampleFormat;
  /**
   * Whether a CSV sample starts with a header row.
   * @default false
   */
  readonly header?: boolean;
}

/** A Model Monitor `statistics.json` in S3, for {@link DriftBaseline.modelMonitorStatistics}. */
export interface ModelMonitorStatisticsBaselineProps {
  /** The bucket that holds the statistics. */
  readonly bucket: s3.IBucket;
  /** The key of `statistics.json`. */
  readonly key: string;
}

/** What a monitor compares the endpoint's traffic with. */
export abstract class DriftBaseline {
  /**
   * A sample of the training data in S3, CSV (columns in the order of `features`, with or without a header
   * row) or JSON lines (one object per row, keyed by feature name). The monitor builds its baseline from it on
   * its first run, and again when the object changes.
   */
  public static trainingSample(props: TrainingSampleBaselineProps): DriftBaseline {
    return new SampleBaseline(props.bucket, props.key, props.format ?? TrainingSampleFormat.CSV, props.header ?? false);
  }

  /**
   * A Model Monitor `statistics.json` (its baselining job's output), for teams moving off Model Monitor: its
   * histogram buckets become the baseline's bins and categories.
   */
  public static modelMonitorStatistics(props: ModelMonitorStatisticsBaselineProps): DriftBaseline {
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
    private readonly format: TrainingSampleFormat,
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
