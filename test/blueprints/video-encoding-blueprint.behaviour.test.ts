import * as http from 'node:http';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import { availabilityZoneContext } from '../../harness/app';
import { DeployedStack, deployStack } from '../../harness/local-aws';
import { useLocalAws } from '../../harness/local-aws/jest';
import { VideoEncodingBlueprint } from '../../src/blueprints/video-encoding-blueprint';

// The blueprint as the repository's app registers it, deployed into the embedded local AWS (moto): the
// group, its launch template, the role and the VPC are created; moto does not run scaling policies, alarms
// or the Lambda-backed custom resource that closes the default security group, so those are reported as
// gaps and proven on the template (video-encoding-blueprint.test.ts).
const local = useLocalAws();

let deployed: DeployedStack;
let stack: VideoEncodingBlueprint;
beforeAll(async () => {
  const app = new App({ context: availabilityZoneContext(local().account, local().region) });
  stack = new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', {
    env: { account: local().account, region: local().region },
  });
  deployed = await deployStack(local(), stack);
});
// No deployed.destroy(): moto's DeleteStack deletes the role before detaching its managed policies and
// fails with DeleteConflict. Stopping the server discards everything.

/**
 * One call of an AWS Query-protocol API (EC2 Auto Scaling, EC2) against moto, which routes by the
 * service in the credential scope and does not check signatures; the repository has no SDK client
 * for either service.
 */
function queryApi(service: string, version: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Version: version, ...params }).toString();
  const url = new URL(local().endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: '/',
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          Authorization: `AWS4-HMAC-SHA256 Credential=${local().credentials.accessKeyId}/20260101/${local().region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300) {
            reject(new Error(`${service} ${params.Action}: HTTP ${res.statusCode}\n${text}`));
          } else {
            resolve(text);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The text of the first `<tag>` in an XML document. */
function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

test('the Auto Scaling group exists with the template name, 0 to 20 instances, in the two isolated subnets', async () => {
  const groupName = deployed.outputs.AutoScalingGroupName;
  expect(groupName).toBe(stack.encoders.autoScalingGroupName);
  const xml = await queryApi('autoscaling', '2011-01-01', {
    Action: 'DescribeAutoScalingGroups',
    'AutoScalingGroupNames.member.1': groupName,
  });
  expect(xmlValue(xml, 'AutoScalingGroupName')).toBe(groupName);
  expect(xmlValue(xml, 'MinSize')).toBe('0');
  expect(xmlValue(xml, 'MaxSize')).toBe('20');
  const subnets = (xmlValue(xml, 'VPCZoneIdentifier') ?? '').split(',').sort();
  expect(subnets).toEqual(
    stack.vpc.isolatedSubnets.map((subnet) => deployed.byPath(`${subnet.node.path}/Subnet`)).sort(),
  );
  expect(xmlValue(xml, 'LaunchTemplateId')).toBe(deployed.byPath(stack.encoders.launchTemplate.node.path));
});

test('the launch template requires IMDSv2 and carries the instance profile and the encrypted root volume', async () => {
  const xml = await queryApi('ec2', '2016-11-15', {
    Action: 'DescribeLaunchTemplateVersions',
    LaunchTemplateId: deployed.byPath(stack.encoders.launchTemplate.node.path),
    'Versions.1': '$Latest',
  });
  expect(xmlValue(xml, 'httpTokens')).toBe('required');
  expect(xmlValue(xml, 'httpPutResponseHopLimit')).toBe('1');
  expect(xmlValue(xml, 'encrypted')).toBe('true');
  expect(xmlValue(xml, 'instanceType')).toBe('m7g.large');
  expect(xml).toMatch(/<iamInstanceProfile>\s*<arn>arn:aws:iam::123456789012:instance-profile\//);
});

test('the scaling policies, the alarms, the endpoint ingress rule and the default-group custom resource are the only gaps', () => {
  // moto lists AWS::EC2::SecurityGroupIngress with no physical id and enforces no security group; the rule
  // (HTTPS from the encoders' group to the endpoints) is proven on the template. The custom resource that
  // closes the default security group needs a Lambda function, so local-aws leaves it and its provider
  // (function and role) out of moto; video-encoding-blueprint.test.ts proves it on the template.
  const unfilledTypes = [...new Set(deployed.gaps.unfilled.map((gap) => gap.type))].sort();
  expect(unfilledTypes).toEqual([
    'AWS::AutoScaling::ScalingPolicy',
    'AWS::CloudWatch::Alarm',
    'AWS::EC2::SecurityGroupIngress',
    'AWS::IAM::Role',
    'AWS::Lambda::Function',
    'Custom::VpcRestrictDefaultSG',
  ]);
  expect(deployed.gaps.unfilled.every((gap) => !gap.failed)).toBe(true);
  const providerGaps = deployed.gaps.unfilled.filter((gap) =>
    ['AWS::IAM::Role', 'AWS::Lambda::Function'].includes(gap.type),
  );
  expect(providerGaps.map((gap) => gap.reason)).toEqual([
    expect.stringMatching(/^The Lambda function behind the custom resource .*VpcRestrictDefaultSecurityGroup/),
    expect.stringMatching(/^The execution role of .*CustomResourceProviderHandler/),
  ]);
  const policies = deployed.gaps.unfilled.filter((gap) => gap.type === 'AWS::AutoScaling::ScalingPolicy');
  expect(policies).toHaveLength(2);
});

test('the queue the encoders drain exists, with the 15-minute job timeout the encoding time must stay under', async () => {
  const { Attributes } = await local()
    .sqs()
    .send(
      new GetQueueAttributesCommand({ QueueUrl: deployed.outputs.JobQueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
  expect(Attributes?.VisibilityTimeout).toBe('900');
});
