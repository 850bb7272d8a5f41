import { AssemblyReadError } from '../../lib/simulator/assembly-error';
import { evaluateCondition, isCreated, resolve, type CfnTemplate, type ResolveContext } from '../../lib/simulator/intrinsics';

const env = { stackName: 'Shop', account: '111122223333', region: 'eu-west-1', partition: 'aws', urlSuffix: 'amazonaws.com' };

const TEMPLATE: CfnTemplate = {
  Parameters: {
    Stage: { Type: 'String', Default: 'prod' },
    Zones: { Type: 'CommaDelimitedList', Default: 'a, b' },
    Bootstrap: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' },
    Required: { Type: 'String' },
  },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
    IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    ProdInIreland: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] }] },
    DevOrUs: { 'Fn::Or': [{ Condition: 'IsDev' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] },
    Loop: { Condition: 'Loop' },
  },
  Mappings: { Sizes: { prod: { Memory: 1024 } } },
  Resources: {
    Orders: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::Sub': 'orders-${Stage}' } } },
    Handler: { Type: 'AWS::Lambda::Function', Properties: {} },
    Alerts: { Type: 'AWS::SNS::Topic', Properties: {} },
    DevOnly: { Type: 'AWS::SNS::Topic', Condition: 'IsDev', Properties: {} },
  },
};

const context = (template: CfnTemplate = TEMPLATE): ResolveContext => ({ template, env });
const at = (value: unknown) => resolve(value, context(), 'Handler.Properties.Environment');

describe('resolving intrinsic functions', () => {
  test('Ref resolves pseudo parameters to the stack’s account, region, partition, URL suffix and name', () => {
    // Prepare
    const refs = ['AWS::AccountId', 'AWS::Region', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName'].map((name) => ({ Ref: name }));

    // Act
    const values = at(refs);

    // Assess
    expect(values).toEqual(['111122223333', 'eu-west-1', 'aws', 'amazonaws.com', 'Shop']);
  });

  test('Ref AWS::NoValue removes the property or list element it stands in', () => {
    // Prepare, act and assess
    expect(at({ Kept: 'yes', Dropped: { Ref: 'AWS::NoValue' }, List: ['a', { Ref: 'AWS::NoValue' }, 'b'] })).toEqual({ Kept: 'yes', List: ['a', 'b'] });
  });

  test('Ref resolves parameters to their Default, and a list parameter to its items', () => {
    // Prepare, act and assess
    expect(at([{ Ref: 'Stage' }, { Ref: 'Zones' }])).toEqual(['prod', ['a', 'b']]);
  });

  test('Ref resolves a resource to its physical id: a set name, a generated name, a topic’s ARN', () => {
    // Prepare, act and assess
    expect(at([{ Ref: 'Orders' }, { Ref: 'Handler' }, { Ref: 'Alerts' }])).toEqual([
      'orders-prod',
      expect.stringMatching(/^Shop-Handler-[0-9A-Z]{13}$/),
      expect.stringMatching(/^arn:aws:sns:eu-west-1:111122223333:Shop-Alerts-[0-9A-Z]{13}$/),
    ]);
  });

  test('Fn::GetAtt resolves in both its list and its dotted form', () => {
    // Prepare, act and assess
    expect(at([{ 'Fn::GetAtt': ['Orders', 'Arn'] }, { 'Fn::GetAtt': 'Orders.StreamArn' }])).toEqual([
      'arn:aws:dynamodb:eu-west-1:111122223333:table/orders-prod',
      'arn:aws:dynamodb:eu-west-1:111122223333:table/orders-prod/stream/1970-01-01T00:00:00.000',
    ]);
  });

  test('Fn::Join joins resolved parts, including a list another intrinsic returns', () => {
    // Prepare, act and assess
    expect(at({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'sqs']] })).toBe('arn:aws:sqs');
    expect(at({ 'Fn::Join': ['+', { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('x+y+z');
  });

  test('Fn::Sub substitutes pseudo parameters, parameters, resources and their attributes, and keeps ${!literal}', () => {
    // Prepare
    const text = '${AWS::Region}/${Stage}/${Orders}/${Orders.Arn}/${!Literal}';

    // Act
    const value = at({ 'Fn::Sub': text });

    // Assess
    expect(value).toBe('eu-west-1/prod/orders-prod/arn:aws:dynamodb:eu-west-1:111122223333:table/orders-prod/${Literal}');
  });

  test('Fn::Sub with a variable map prefers the map’s variables, themselves resolved', () => {
    // Prepare, act and assess
    expect(at({ 'Fn::Sub': ['${Stage}-${Table}-${AWS::AccountId}', { Stage: 'test', Table: { Ref: 'Orders' } }] })).toBe('test-orders-prod-111122223333');
  });

  test('Fn::Select picks an element, and Fn::GetAZs lists zones of the region', () => {
    // Prepare, act and assess
    expect(at({ 'Fn::Select': ['1', { 'Fn::GetAZs': '' }] })).toBe('eu-west-1b');
    expect(at({ 'Fn::Select': [0, ['only']] })).toBe('only');
  });

  test('Fn::FindInMap and Fn::Base64 resolve from the template’s mappings and text', () => {
    // Prepare, act and assess
    expect(at({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] })).toBe(1024);
    expect(at({ 'Fn::Base64': 'hi' })).toBe('aGk=');
  });

  test('Fn::If picks the branch of its condition, and AWS::NoValue in a branch drops the property', () => {
    // Prepare, act and assess
    expect(at({ Size: { 'Fn::If': ['IsProd', 'large', 'small'] }, Debug: { 'Fn::If': ['IsDev', 'on', { Ref: 'AWS::NoValue' }] } })).toEqual({ Size: 'large' });
  });

  test('conditions evaluate Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition', () => {
    // Prepare
    const names = ['IsProd', 'IsDev', 'ProdInIreland', 'DevOrUs'];

    // Act
    const values = names.map((name) => evaluateCondition(name, context()));

    // Assess
    expect(values).toEqual([true, false, true, false]);
  });

  test('a resource whose condition fails is not created', () => {
    // Prepare, act and assess
    expect([isCreated('Alerts', context()), isCreated('DevOnly', context())]).toEqual([true, false]);
  });
});

describe('refusing what cannot be resolved, naming where', () => {
  const refusal = (value: unknown, template?: CfnTemplate) => {
    try {
      resolve(value, context(template), 'Handler.Properties.Environment.Variables.X');
    } catch (error) {
      expect(error).toBeInstanceOf(AssemblyReadError);
      return (error as Error).message;
    }
    throw new Error('resolved without an error');
  };

  test('an unsupported intrinsic names itself, the resource and the property path', () => {
    // Prepare, act and assess
    expect(refusal({ 'Fn::Cidr': ['10.0.0.0/16', 4, 8] })).toBe(
      'Fn::Cidr is not an intrinsic function the simulator resolves (at Handler.Properties.Environment.Variables.X)',
    );
  });

  test('Fn::ImportValue names the export no stack in the assembly gives', () => {
    // Prepare, act and assess
    expect(refusal({ 'Fn::ImportValue': { 'Fn::Sub': '${Stage}-VpcId' } })).toMatch(/^Fn::ImportValue of export "prod-VpcId": no stack in the assembly exports that name/);
  });

  test('a Ref to nothing, a parameter without a Default and one read from SSM are refused by name', () => {
    // Prepare, act and assess
    expect(refusal({ Ref: 'Nowhere' })).toMatch(/^Ref Nowhere: the template has no resource, parameter or pseudo parameter of that name/);
    expect(refusal({ Ref: 'Required' })).toMatch(/^Ref Required: the parameter has no Default/);
    expect(refusal({ Ref: 'Bootstrap' })).toMatch(/^Ref Bootstrap: the parameter takes its value from SSM parameter \/cdk-bootstrap\/version/);
  });

  test('an attribute the resource type does not have is refused with the type', () => {
    // Prepare, act and assess
    expect(refusal({ 'Fn::GetAtt': ['Orders', 'Colour'] })).toMatch(/^Fn::GetAtt Orders.Colour: the simulator knows no attribute Colour of AWS::DynamoDB::Table/);
    expect(refusal({ 'Fn::GetAtt': ['Ghost', 'Arn'] })).toMatch(/^Fn::GetAtt Ghost.Arn: the template has no resource Ghost/);
  });

  test('a condition that refers to itself is a cycle, and a missing condition is named', () => {
    // Prepare, act and assess
    expect(refusal({ 'Fn::If': ['Loop', 'a', 'b'] })).toMatch(/Conditions.Loop depends on itself/);
    expect(refusal({ 'Fn::If': ['Missing', 'a', 'b'] })).toMatch(/^the template has no condition Missing/);
  });

  test('a name property that refers to its own resource is a cycle', () => {
    // Prepare
    const template: CfnTemplate = { Resources: { Self: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::GetAtt': ['Self', 'TopicName'] } } } } };

    // Act and assess
    expect(refusal({ Ref: 'Self' }, template)).toMatch(/Self.Properties.TopicName depends on itself/);
  });
});
