import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { DriftMonitor } from './drift-monitor';
import { shortHash } from './private/short-hash';

/** The namespace where Model Monitor publishes per-feature drift metrics of real-time endpoints. */
export const MODEL_MONITOR_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/** A Model Monitor schedule whose per-feature drift metrics start retraining. */
export interface ModelMonitorDriftProps {
  /** The monitored endpoint. */
  readonly endpointName: string;
  /** The data-quality monitoring schedule. */
  readonly monitoringScheduleName: string;
  /** Features to alarm on: one alarm each on `feature_baseline_drift_<feature>`. */
  readonly features: string[];
  /**
   * The drift distance above which a feature's alarm fires; the evaluator then scores severity from the
   * violations report.
   * @default 0 (any drift Model Monitor reports)
   */
  readonly threshold?: number;
  /**
   * The alarms' period: match the monitoring schedule's cadence.
   * @default Duration.hours(1)
   */
  readonly period?: Duration;
}

/** A Model Monitor schedule whose violations reports the evaluator reads. */
export interface ModelMonitorSchedule {
  /** The monitored endpoint. */
  readonly endpointName: string;
  /** The data-quality monitoring schedule. */
  readonly monitoringScheduleName: string;
}

/** Alarms defined elsewhere, followed through their EventBridge state-change events. Give at least one of the two. */
export interface AlarmStateChangeProps {
  /**
   * Alarms to follow, by exact name.
   * @default - none
   */
  readonly alarmNames?: string[];
  /**
   * Alarms to follow, by name prefix.
   * @default - none
   */
  readonly alarmNamePrefix?: string;
}

/** Which alarms a source contributes: by ARN, or by name for alarms defined elsewhere. */
export interface BoundDriftSource {
  readonly alarmArns: string[];
  readonly alarmNames: string[];
  readonly alarmNamePrefixes: string[];
  /** Model Monitor schedules whose violations the evaluator reads. */
  readonly monitors: ModelMonitorSchedule[];
  /** The library's drift monitors whose reports the evaluator reads. */
  readonly driftMonitors?: DriftMonitor[];
}

/** Where drift signals come from. All of them feed the trigger's one encrypted topic. */
export abstract class DriftSource {
  /**
   * SageMaker Model Monitor: one alarm per feature on its `feature_baseline_drift_<feature>` metric; the
   * evaluator reads the newest `constraint_violations.json` of the schedule to score every feature.
   */
  public static modelMonitor(props: ModelMonitorDriftProps): DriftSource {
    if (props.features.length === 0) throw new Error('features must name at least one feature to alarm on');
    return new ModelMonitorSource(props);
  }

  /**
   * The library's own drift statistics: each run of the {@link DriftMonitor} writes one report, which the
   * monitor names on the trigger's topic; the evaluator reads that report from the monitor's folder and decides
   * once per report, so one run yields at most one retraining decision.
   */
  public static driftMonitor(monitor: DriftMonitor): DriftSource {
    return new MonitorSource(monitor);
  }

  /** Any alarm you already have (your own drift metric, anomaly detection); its breaching value is the score. */
  public static alarm(alarm: cloudwatch.IAlarm): DriftSource {
    return new ArnSource(alarm.alarmArn);
  }

  /** Alarms defined elsewhere, by exact name or name prefix, through their EventBridge state-change events. */
  public static alarmStateChange(props: AlarmStateChangeProps): DriftSource {
    if (!props.alarmNames?.length && !props.alarmNamePrefix) {
      throw new Error('alarmStateChange needs alarmNames or alarmNamePrefix: without them it would follow every alarm in the account');
    }
    return new NamedSource(props.alarmNames ?? [], props.alarmNamePrefix ? [props.alarmNamePrefix] : []);
  }

  /**
   * Creates what the source needs in `scope`, with construct ids that follow what the source watches,
   * never its position among the trigger's sources.
   */
  public abstract bind(scope: Construct): BoundDriftSource;
}

class ModelMonitorSource extends DriftSource {
  constructor(private readonly props: ModelMonitorDriftProps) {
    super();
  }

  public bind(scope: Construct): BoundDriftSource {
    const { endpointName, monitoringScheduleName } = this.props;
    const alarmArns = this.props.features.map((feature) => {
      if (!Token.isUnresolved(feature) && !/^[A-Za-z0-9_.\-]{1,200}$/.test(feature)) {
        throw new Error(`features entry '${feature}' is not a feature name Model Monitor publishes a metric for`);
      }
      // Named after what it watches, never after the source's place in the list: reordering or adding
      // sources leaves every existing alarm as it is.
      const id = `ModelMonitor${feature.replace(/[^A-Za-z0-9]/g, '').slice(0, 48)}${shortHash(JSON.stringify([endpointName, monitoringScheduleName, feature]), 8)}`;
      if (scope.node.tryFindChild(id)) {
        throw new Error(`features entry '${feature}' of ${endpointName}/${monitoringScheduleName} is given twice: name each feature of a monitoring schedule once`);
      }
      return new cloudwatch.Alarm(scope, id, {
        alarmDescription: `Model Monitor reports drift of ${feature} on ${endpointName} (${monitoringScheduleName}).`,
        metric: new cloudwatch.Metric({
          namespace: MODEL_MONITOR_NAMESPACE,
          metricName: `feature_baseline_drift_${feature}`,
          dimensionsMap: { Endpoint: endpointName, MonitoringSchedule: monitoringScheduleName },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: this.props.period ?? Duration.hours(1),
        }),
        threshold: this.props.threshold ?? 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).alarmArn;
    });
    return { alarmArns, alarmNames: [], alarmNamePrefixes: [], monitors: [{ endpointName, monitoringScheduleName }] };
  }
}

class ArnSource extends DriftSource {
  constructor(private readonly alarmArn: string) {
    super();
  }

  public bind(): BoundDriftSource {
    return { alarmArns: [this.alarmArn], alarmNames: [], alarmNamePrefixes: [], monitors: [] };
  }
}

class NamedSource extends DriftSource {
  constructor(
    private readonly names: string[],
    private readonly prefixes: string[],
  ) {
    super();
  }

  public bind(): BoundDriftSource {
    return { alarmArns: [], alarmNames: this.names, alarmNamePrefixes: this.prefixes, monitors: [] };
  }
}

class MonitorSource extends DriftSource {
  constructor(private readonly monitor: DriftMonitor) {
    super();
  }

  public bind(): BoundDriftSource {
    return { alarmArns: [], alarmNames: [], alarmNamePrefixes: [], monitors: [], driftMonitors: [this.monitor] };
  }
}
