import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { availabilityZoneContext, logicalId, strictApp } from '../../harness/app';
import { complianceFindings, expectCompliant } from '../../harness/compliance';
import { PrivateWorkersBlueprint } from '../../src/blueprints/private-workers-blueprint';

const ENV = { account: '123456789012', region: 'us-east-1' };

describe('PrivateWorkersBlueprint', () => {
  const app = strictApp(availabilityZoneContext(ENV.account, ENV.region));
  const stack = new PrivateWorkersBlueprint(app, 'PrivateWorkersBlueprint', { env: ENV });
  const template = Template.fromStack(stack);
  const isolatedSubnets = stack.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalId(subnet) }));

  test('thumbnails: SQS to Lambda with partial batch responses and at most 50 at once', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(stack.thumbnailJobs.queueArn),
      FunctionName: { Ref: logicalId(stack.thumbnailer.handler) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
    // Lambda's rule: the queue's visibility timeout is at least six times the function's (30 s × 6 = 180 s).
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.thumbnailJobs.encryptionKey!), 'Arn'] },
      VisibilityTimeout: 180,
    });
  });

  test('play counts: Kinesis to Lambda, bisecting, 10 retries, an hour at most, failures to a queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(stack.playbackEvents.streamArn),
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: {
        OnFailure: { Destination: stack.resolve(stack.playCounter.onFailureQueue.queueArn) },
      },
    });
  });

  test('transcodes: Fargate on ARM64 in the isolated subnets, no public IP, 0 to 20 tasks on 10 waiting jobs each', () => {
    expect(stack.transcoders.backlogPerTaskTarget).toBe(10);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: Match.arrayWith(isolatedSubnets) },
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect(JSON.stringify(taskDefinition.Properties.ContainerDefinitions[0].Image)).toMatch(/\/transcoder:latest"/);
  });

  test("the default image is the account's own transcoder:latest, which the execution role may pull", () => {
    const pulls = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement: any) =>
        [statement.Action].flat().includes('ecr:BatchGetImage'),
      ),
    );
    expect(pulls).toHaveLength(1);
    expect(JSON.stringify(pulls[0].Resource)).toMatch(/:repository\/transcoder"/);
  });

  test('the transcoders scale 0 to 20 on 10 waiting jobs per task', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 20 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 10 }),
    });
  });

  test('every worker runs in the isolated subnets of a VPC with no way to the internet', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([id]) => !id.startsWith('CustomVpcRestrictDefaultSG'),
    );
    expect(functions).toHaveLength(2);
    for (const [, fn] of functions) {
      expect(fn.Properties.VpcConfig.SubnetIds).toEqual(isolatedSubnets);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
    }
  });

  test('the endpoints admit only the transcoders and the functions, on HTTPS', () => {
    const endpointGroup = logicalId(stack.endpoints.securityGroup);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((rule) => rule.Properties)
      .filter((rule) => JSON.stringify(rule.GroupId).includes(endpointGroup));
    expect(ingress.map((rule) => [rule.FromPort, rule.ToPort, rule.IpProtocol])).toEqual([
      [443, 443, 'tcp'],
      [443, 443, 'tcp'],
    ]);
    expect(ingress.map((rule) => rule.SourceSecurityGroupId['Fn::GetAtt'][0]).sort()).toEqual(
      [logicalId(stack.transcoders.securityGroup), logicalId(stack.node.findChild('FunctionSecurityGroup'))].sort(),
    );
    expect(ingress.every((rule) => rule.CidrIp === undefined)).toBe(true);
  });

  test('a transcoder image of the user replaces the default', () => {
    const custom = new PrivateWorkersBlueprint(strictApp(availabilityZoneContext(ENV.account, ENV.region)), 'Custom', {
      env: ENV,
      transcoderImage: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/encoder:v7'),
      maxTranscoders: 5,
    });
    const customTemplate = Template.fromStack(custom);
    customTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/encoder:v7' })],
    });
    customTemplate.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 5 });
  });

  test('passes the five compliance packs, the library plugins and the CloudFormation validator, with no finding', () => {
    expectCompliant(stack);
    expect(complianceFindings(stack)).toEqual([]);
  });

  test('synthesis needs no AWS lookup', () => {
    expect(app.synth().manifest.missing).toBeUndefined();
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
