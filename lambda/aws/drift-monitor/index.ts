import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parseDriftMonitorSettings, type DriftMonitorSettings } from '../../core/contracts/drift-monitor';
import { MetricDimension, MetricName, MetricService } from '../../core/contracts/metrics';
import { isRecord } from '../../core/result';
import { HandlerShell, JsonSetting } from '../adapters/handler-shell';
import { BaselineBuilder } from './baseline-builder';
import { MonitorRuns } from './runs';
import { MonitorStore } from './store';

const shell = new HandlerShell({
  serviceName: MetricService.DriftMonitor,
  rejectionMetric: MetricName.EventsRejected,
  rejectionMessage: 'rejected a step input that is not one of the monitor\'s own',
});
const { logger, metrics } = shell;
const monitorSettings = new JsonSetting('DRIFT_MONITOR_SETTINGS', (value) => parseDriftMonitorSettings(value ?? null));
const s3 = new S3Client({});
const sns = new SNSClient({});

function runsFor(settings: DriftMonitorSettings): MonitorRuns {
  const store = new MonitorStore(s3, settings.store.bucket, settings.store.prefix);
  const baselines = new BaselineBuilder(s3, store, settings.baseline, settings.features, settings.bins);
  return new MonitorRuns(settings, {
    s3,
    store,
    baselines,
    now: () => Date.now(),
    publish: async (topicArn, message) => {
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(message), Subject: 'Drift monitor report' }));
    },
    observer: {
      sliceRead: (rows, malformed, firstProblem) => {
        metrics.addMetric(MetricName.CaptureRowsRead, MetricUnit.Count, rows);
        if (malformed > 0) {
          metrics.addMetric(MetricName.MalformedCaptureLines, MetricUnit.Count, malformed);
          logger.warn('skipped malformed capture lines', { malformed, firstProblem });
        }
      },
      assessed: (assessment, reportKey, rows) => {
        logger.info('assessed drift', { monitorId: settings.monitorId, reportKey, rows, violations: assessment.report.violations.length });
        for (const score of assessment.scores) {
          const metric = metrics.singleMetric();
          // A drift distance under the feature's name; completeness, type and schema findings under `<feature>:<kind>`.
          const distance = score.kind === 'numerical-distance' || score.kind === 'categorical-distance';
          const feature = score.feature.slice(0, 200);
          metric.addDimensions({ [MetricDimension.Monitor]: settings.monitorId, [MetricDimension.Feature]: distance ? feature : `${feature}:${score.kind}` });
          metric.addMetric(MetricName.DriftScore, MetricUnit.NoUnit, score.score);
        }
        metrics.addMetric(MetricName.MonitorRuns, MetricUnit.Count, 1);
        metrics.addMetric(MetricName.MonitorViolations, MetricUnit.Count, assessment.report.violations.length);
      },
    },
  });
}

/**
 * The monitor's state machine calls it with `{ action: 'plan' | 'sketch' | 'assess', ... }`; the operator
 * command with `{ action: 'baseline' }` to build the baseline again. A step input it cannot use is answered
 * with a structured error naming the field (`status: 'rejected'`), on which the state machine fails the run
 * without assessing anything; a failure to read or write is thrown, and fails the run the same way.
 */
export const handler = shell.handler(async (event): Promise<unknown> => {
  const settings = shell.setting(monitorSettings);
  // Every metric of the invocation names its monitor, so each monitor's construct can graph and alarm on its own.
  metrics.addDimension(MetricDimension.Monitor, settings.monitorId);
  const runs = runsFor(settings);
  const input = isRecord(event) ? event : {};
  switch (input.action) {
    case 'plan': {
      const planned = await runs.plan({ executionName: input.executionName, executionStartTime: input.executionStartTime });
      return planned.ok ? planned.value : shell.reject(planned.error);
    }
    case 'sketch': {
      const sketched = await runs.sketch({ runId: input.runId, slice: input.slice });
      return sketched.ok ? sketched.value : shell.reject(sketched.error);
    }
    case 'assess': {
      const assessed = await runs.assess({ runId: input.runId });
      return assessed.ok ? assessed.value : shell.reject(assessed.error);
    }
    case 'baseline': {
      const store = new MonitorStore(s3, settings.store.bucket, settings.store.prefix);
      const built = await new BaselineBuilder(s3, store, settings.baseline, settings.features, settings.bins).current(true);
      return { sourceEtag: built.sourceEtag, rows: built.baseline.rows, features: built.baseline.features.length, approximate: built.approximate };
    }
    default:
      return shell.reject({ field: 'action', problem: "must be 'plan', 'sketch', 'assess' or 'baseline'" });
  }
});
