import { Duration, Size, Token } from 'aws-cdk-lib';
import { DriftMonitor, type DriftMonitorProps } from '../lib';
import { monitorProps } from './support/drift-monitor-synth';
import { newStack } from './support/stacks';

/** Builds a monitor with the props changed; validation runs in the constructor, before synth. */
const build = (props: Partial<DriftMonitorProps>) => () => {
  const stack = newStack();
  new DriftMonitor(stack, 'Monitor', monitorProps(stack, props));
};

describe('DriftMonitor validation at synth', () => {
  test.each([
    ['no features', { features: [] }, 'features must name 1 to 500 features, got 0'],
    ['more features than the report keeps readable', { features: Array.from({ length: 501 }, (_, i) => `f${i}`) }, 'features must name 1 to 500 features, got 501'],
    ['a feature named twice', { features: ['tenure', 'plan', 'tenure'] }, 'features must name each feature once'],
    ['a feature name with a space', { features: ['tenure months'] }, "feature 'tenure months' must match /^[A-Za-z0-9_.\\-]{1,128}$/"],
    ['an output name with a slash', { outputName: 'score/v2' }, "feature 'score/v2' must match"],
    ['a capture prefix without a trailing slash', { capturePrefix: 'capture' }, "capturePrefix must be empty or end with '/', got 'capture'"],
    ['one bin', { bins: 1 }, 'bins must be a whole number from 2 to 100, got 1'],
    ['more bins than allowed', { bins: 101 }, 'bins must be a whole number from 2 to 100, got 101'],
    ['a fraction of a bin', { bins: 2.5 }, 'bins must be a whole number from 2 to 100, got 2.5'],
    ['less than 1 MiB per invocation', { bytesPerInvocation: Size.kibibytes(512) }, 'bytesPerInvocation must be from 1 MiB to 8 GiB'],
    ['more than 8 GiB per invocation', { bytesPerInvocation: Size.gibibytes(9) }, 'bytesPerInvocation must be from 1 MiB to 8 GiB'],
    ['thresholds out of order', { thresholds: { medium: 0.3, high: 0.2, critical: 0.5 } }, 'thresholds must be numbers with 0 <= medium < high < critical, got medium 0.3, high 0.2, critical 0.5'],
    ['a negative threshold', { thresholds: { medium: -0.1, high: 0.2, critical: 0.5 } }, 'thresholds must be numbers with 0 <= medium < high < critical'],
    ['a capture delay of a second more than a minute', { captureDelay: Duration.seconds(61) }, 'captureDelay must be whole minutes from 0 to 60, got 1 minute 1 second'],
    ['a capture delay over an hour', { captureDelay: Duration.minutes(61) }, 'captureDelay must be whole minutes from 0 to 60'],
    ["a feature's thresholds out of order", { featureThresholds: { plan: { medium: 0.1, high: 0.5, critical: 0.5 } } }, 'featureThresholds.plan must be numbers with 0 <= medium < high < critical, got medium 0.1, high 0.5, critical 0.5'],
  ])('refuses %s', (_, props, message) => {
    expect(build(props as Partial<DriftMonitorProps>)).toThrow(message);
  });

  test.each([
    ['the limits of bins', { bins: 2 }],
    ['100 bins', { bins: 100 }],
    ['exactly 1 MiB per invocation', { bytesPerInvocation: Size.mebibytes(1) }],
    ['exactly 8 GiB per invocation', { bytesPerInvocation: Size.gibibytes(8) }],
    ['an empty capture prefix', { capturePrefix: '' }],
    ['500 features with dots and dashes', { features: Array.from({ length: 500 }, (_, i) => `f.${i}-x`) }],
    ['a capture prefix known only at deployment', { capturePrefix: Token.asString({ Ref: 'CapturePrefix' }) }],
  ])('accepts %s', (_, props) => {
    expect(build(props as Partial<DriftMonitorProps>)).not.toThrow();
  });
});
