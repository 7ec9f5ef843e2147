import * as http from 'node:http';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { availabilityZoneContext } from '../harness/app';
import { DeployedStack, deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { IsolatedVpc } from '../src/isolated-vpc';
import { PrivateEndpoints, PrivateEndpointService } from '../src/private-endpoints';

// PrivateEndpoints deployed into the embedded local AWS (moto) from its real template. moto creates the
// endpoints (with their policies and private DNS flag) and the security group; it enforces neither
// endpoint policies nor security groups, so those are proven offline (private-endpoints.access.test.ts)
// and on the template (private-endpoints.test.ts).
const local = useLocalAws();

/** moto's EC2 API (query protocol, XML); the project has no EC2 SDK client, and moto checks no signature. */
function ec2Call(action: string, params: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(local().endpoint);
    const body = new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }).toString();
    const req = http.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: '/',
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
          Authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${local().region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400) reject(new Error(`${action} ${res.statusCode}: ${text}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The text of every `<tag>` element in an XML document (moto's responses are small and regular). */
function all(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * moto returns a policy given as a template object in Python's notation (`{'Statement': [...]}`) where
 * AWS returns JSON; our policies hold no quote characters, so swapping the quotes reads them.
 */
function parsePolicy(raw: string): any {
  try {
    return JSON.parse(raw);
  } catch {
    return JSON.parse(
      raw
        .replace(/'/g, '"')
        .replace(/\bTrue\b/g, 'true')
        .replace(/\bFalse\b/g, 'false'),
    );
  }
}

let deployed: DeployedStack;

beforeAll(async () => {
  const app = new App({ context: availabilityZoneContext(local().account, local().region) });
  const stack = new Stack(app, 'Endpoints', { env: { account: local().account, region: local().region } });
  const network = new IsolatedVpc(stack, 'Network');
  const workers = new ec2.SecurityGroup(stack, 'Workers', { vpc: network.vpc, description: 'workers' });
  new PrivateEndpoints(stack, 'Private', {
    vpc: network.vpc,
    services: [PrivateEndpointService.SQS, PrivateEndpointService.ECR, PrivateEndpointService.KMS],
    allowedPeers: [workers],
  });
  deployed = await deployStack(local(), stack);
});

test('moto creates every endpoint: interface ones with private DNS, the S3 gateway on the route tables', async () => {
  const vpcId = deployed.byPath('Endpoints/Network/Vpc');
  const xml = await ec2Call('DescribeVpcEndpoints', { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': vpcId });
  // One segment per endpoint (items nest, so split on the id that opens each one).
  const items = xml.split('<vpcEndpointId>').slice(1);
  const endpoints = items.map((item) => ({
    service: all(item, 'serviceName')[0],
    type: all(item, 'vpcEndpointType')[0],
    privateDns: all(item, 'privateDnsEnabled')[0],
    policy: parsePolicy(unescapeXml(all(item, 'policyDocument')[0])),
    routeTables: all(all(item, 'routeTableIdSet')[0] ?? '', 'item'),
  }));
  expect(endpoints.map((e) => e.service).sort()).toEqual(
    ['ecr.api', 'ecr.dkr', 'kms', 's3', 'sqs'].map((s) => `com.amazonaws.us-east-1.${s}`),
  );
  for (const endpoint of endpoints) {
    expect(endpoint.policy.Statement[0]).toMatchObject({
      Sid: 'OnlyThisAccountsPrincipalsAndResources',
      Principal: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': local().account, 'aws:ResourceAccount': local().account } },
    });
    if (endpoint.type === 'Interface') {
      expect(endpoint.privateDns).toBe('true');
    }
  }
  const gateway = endpoints.find((e) => e.type === 'Gateway')!;
  expect(gateway.routeTables.sort()).toEqual(
    [1, 2].map((n) => deployed.byPath(`Endpoints/Network/Vpc/IsolatedSubnet${n}/RouteTable`)).sort(),
  );
  expect(gateway.policy.Statement[1]).toMatchObject({
    Sid: 'EcrImageLayers',
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*',
  });
});

test("the endpoints' security group admits HTTPS from the workers' group only", async () => {
  const groupId = deployed.byPath('Endpoints/Private/SecurityGroup');
  const xml = await ec2Call('DescribeSecurityGroups', { 'GroupId.1': groupId });
  const ingress = all(xml, 'ipPermissions')[0] ?? '';
  expect(all(ingress, 'fromPort')).toEqual(['443']);
  expect(ingress).toContain(deployed.byPath('Endpoints/Workers'));
  expect(all(ingress, 'cidrIp')).toEqual([]);
});

test('what moto cannot create is reported exactly', () => {
  // eslint-disable-next-line no-console
  console.log(
    `not created by moto:\n${deployed.gaps.unfilled.map((g) => `  ${g.type} ${g.logicalId}: ${g.reason}`).join('\n')}`,
  );
  expect(deployed.gaps.unfilled.every((gap) => !gap.failed)).toBe(true);
  expect(deployed.gaps.unfilled.map((gap) => gap.type).sort()).toEqual([
    'AWS::EC2::SecurityGroupIngress',
    'AWS::IAM::Role',
    'AWS::Lambda::Function',
    'Custom::VpcRestrictDefaultSG',
  ]);
});
