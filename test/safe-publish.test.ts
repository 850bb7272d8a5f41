import { safePublish } from '../lib/publish';
import type { FakeEventBridge } from './support/fake-eventbridge';
import { setEnv } from './support/local-services';
import { modelAdded, publishError, target, usePublishEnvironment } from './support/publish-environment';

let fake: FakeEventBridge;
usePublishEnvironment((started) => (fake = started));

describe('safePublish', () => {
  test('sends nothing outside a deployed environment, and says how to publish anyway', async () => {
    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: false, reason: expect.stringMatching(/^not a deployed environment: .*ML_TRIGGERS_PUBLISH=always/) });
    expect(fake.calls).toHaveLength(0);
  });

  test.each<[string, Record<string, string>]>([
    ['in Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'model-registry' }],
    ['in ECS (metadata endpoint v4)', { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/task' }],
    ['in ECS (metadata endpoint v3)', { ECS_CONTAINER_METADATA_URI: 'http://169.254.170.2/v3/task' }],
    ['on Fargate (AWS_EXECUTION_ENV)', { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }],
    ['on EKS with IAM roles for service accounts', {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/model-registry', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    }],
    ['on EKS with Pod Identity', {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    }],
    ['in a SageMaker training job', { TRAINING_JOB_NAME: 'churn-2024-01-29', TRAINING_JOB_ARN: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/churn-2024-01-29' }],
    ['on EC2 with ML_TRIGGERS_PUBLISH=always', { ML_TRIGGERS_PUBLISH: 'always' }],
    ['with ML_TRIGGERS_PUBLISH=true (the older spelling of always)', { ML_TRIGGERS_PUBLISH: 'true' }],
  ])('publishes %s', async (_label, env) => {
    setEnv(env);

    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: true, eventId: fake.accepted[0]?.eventId });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['in GitHub Actions', { GITHUB_ACTIONS: 'true', CI: 'true' }, /GitHub Actions \(GITHUB_ACTIONS\)/],
    ['in CodeBuild', { CODEBUILD_BUILD_ID: 'model-registry:0f3c' }, /AWS CodeBuild \(CODEBUILD_BUILD_ID\)/],
    ['in another CI service', { CI: 'true' }, /a CI service \(CI\)/],
    ['in a CI runner that itself runs on EKS', { CI: 'true', AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/runner', AWS_WEB_IDENTITY_TOKEN_FILE: '/token' }, /a CI service/],
    ['on a bare EC2 instance (no environment signal; IMDS is not probed)', {}, /^not a deployed environment/],
  ])('sends nothing %s unless told to', async (_label, env, reason) => {
    setEnv(env);

    const result = await safePublish(target, 'model.added', modelAdded);
    setEnv({ ML_TRIGGERS_PUBLISH: 'always' });
    const overridden = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: false, reason: expect.stringMatching(reason) });
    expect(overridden).toEqual({ published: true, eventId: fake.accepted[0]?.eventId });
    expect(fake.accepted).toHaveLength(1);
  });

  test('publishes when options.mode, options.deployed or options.isDeployed says so', async () => {
    await safePublish(target, 'model.added', modelAdded, { mode: 'always' });
    await safePublish(target, 'model.added', modelAdded, { deployed: true });
    await safePublish(target, 'model.added', modelAdded, { isDeployed: () => true });

    expect(fake.accepted).toHaveLength(3);
  });

  test('options.mode never wins over Lambda detection and over ML_TRIGGERS_PUBLISH=always', async () => {
    setEnv({ AWS_LAMBDA_FUNCTION_NAME: 'model-registry', ML_TRIGGERS_PUBLISH: 'always' });

    const result = await safePublish(target, 'model.added', modelAdded, { mode: 'never' });
    const deployedFalse = await safePublish(target, 'model.added', modelAdded, { deployed: false });

    expect(result).toEqual({ published: false, reason: "options.mode is 'never'" });
    expect(deployedFalse).toEqual({ published: false, reason: "options.mode is 'never'" });
    expect(fake.calls).toHaveLength(0);
  });

  test.each(['never', 'false', ' NEVER '])('ML_TRIGGERS_PUBLISH=%s wins over Lambda detection and options.mode always', async (value) => {
    setEnv({ ML_TRIGGERS_PUBLISH: value, AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const result = await safePublish(target, 'model.added', modelAdded, { mode: 'always' });

    expect(result).toEqual({ published: false, reason: `ML_TRIGGERS_PUBLISH=${value.trim()} disables publishing` });
    expect(fake.calls).toHaveLength(0);
  });

  test('ML_TRIGGERS_PUBLISH=auto leaves the decision to the detection', async () => {
    setEnv({ ML_TRIGGERS_PUBLISH: 'auto' });
    const local = await safePublish(target, 'model.added', modelAdded);
    setEnv({ AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });
    const inLambda = await safePublish(target, 'model.added', modelAdded);

    expect(local.published).toBe(false);
    expect(inLambda.published).toBe(true);
  });

  test('rejects an ML_TRIGGERS_PUBLISH it does not know, naming the value and the accepted ones', async () => {
    setEnv({ ML_TRIGGERS_PUBLISH: 'alwyas', AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const error = await publishError(safePublish(target, 'model.added', modelAdded));

    expect(error.code).toBe('InvalidSetting');
    expect(error.message).toBe("ML_TRIGGERS_PUBLISH must be always, never or auto, got 'alwyas'");
    expect(fake.calls).toHaveLength(0);
  });

  test('rejects an invalid event even when it would not send it', async () => {
    const error = await publishError(safePublish(target, 'model added', modelAdded));

    expect(error.code).toBe('InvalidName');
  });
});
