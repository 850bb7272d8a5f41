import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRICS_NAMESPACE,
  MetricDimension,
  MetricService,
  serviceDimensions,
  type MetricName,
} from '../../lambda/core/contracts/metrics';

/** The period of a handler metric unless its caller says otherwise. */
const DEFAULT_PERIOD = Duration.minutes(5);

/** What a handler metric is, besides `props`: its statistic, and dimensions beyond its service's. */
interface HandlerMetricDefaults {
  readonly statistic?: string;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * A metric that `service`'s function publishes, with the dimensions it publishes it with: the sum
 * (or `defaults.statistic`) over 5 minutes, unless `props` says otherwise.
 */
export function handlerMetric(service: MetricService, metricName: MetricName, props?: cloudwatch.MetricOptions, defaults: HandlerMetricDefaults = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...serviceDimensions(service), ...defaults.dimensions },
    statistic: defaults.statistic ?? cloudwatch.Stats.SUM,
    period: DEFAULT_PERIOD,
  }).with(props ?? {});
}

/**
 * Every series of a metric that `service` publishes with the further dimensions `keys` (one series per
 * value, such as per trigger or per feature), as a CloudWatch SEARCH: the sum (or `defaults.statistic`)
 * over 5 minutes. Of `props`, `label`, `period`, `statistic` and `color` apply.
 */
export function handlerMetricSearch(
  service: MetricService,
  metricName: MetricName,
  keys: readonly MetricDimension[],
  props: cloudwatch.MetricOptions = {},
  defaults: { readonly statistic?: string; readonly filter?: Readonly<Record<string, string>> } = {},
): cloudwatch.MathExpression {
  const schema = [...keys, ...Object.keys(serviceDimensions(service))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const filters = Object.entries({ MetricName: metricName, ...defaults.filter }).map(([key, value]) => ` ${key}="${value}"`).join('');
  const period = props.period ?? DEFAULT_PERIOD;
  const statistic = props.statistic ?? defaults.statistic ?? cloudwatch.Stats.SUM;
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${[METRICS_NAMESPACE, ...schema].join(',')}}${filters}', '${statistic}', ${period.toSeconds()})`,
    ...(props.label !== undefined ? { label: props.label } : {}),
    ...(props.color !== undefined ? { color: props.color } : {}),
    period,
  });
}

/** A metric of the data-arrival batcher, the function every data-arrival trigger of a stack shares. */
export const batcherMetric = (metricName: MetricName, props?: cloudwatch.MetricOptions, defaults?: HandlerMetricDefaults) =>
  handlerMetric(MetricService.DataArrivalBatcher, metricName, props, defaults);
