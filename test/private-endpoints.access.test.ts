import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { resolveIntrinsics } from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { PrivateEndpoints, PrivateEndpointService } from '../src/private-endpoints';

// Proofs for the endpoint policies, evaluated offline with the synthesized policy documents as VPC
// endpoint policies. harness/access.ts has no endpoint-policy input, so the simulator is called
// directly. The request context carries what AWS puts there (aws:PrincipalAccount from the caller,
// aws:ResourceAccount from the resource's owner). The caller's identity policy allows everything and the
// resource policy admits the caller, so each request is decided by the endpoint policy alone; every
// denial is checked against the same request without the endpoint, which must be allowed.
const ACCOUNT = '123456789012';
const OTHER = '999999999999';
const ECR_SIGNER = 'arn:aws:iam::555555555555:role/ecr-layer-signer';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

interface Request {
  readonly principal: string;
  readonly principalAccount: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
}

async function decide(request: Request, endpointPolicy: object | undefined): Promise<string> {
  const raw = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalAccount': request.principalAccount,
          'aws:ResourceAccount': request.resourceAccount,
        },
      },
      identityPolicies: [{ name: 'allow-all', policy: ALLOW_ALL }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // The resource admits the caller: cross-account requests are then decided by the endpoint alone.
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: request.principal },
            Action: request.action,
            Resource: request.resource,
          },
        ],
      },
      vpcEndpointPolicies: endpointPolicy ? [{ name: 'endpoint', policy: endpointPolicy }] : undefined,
    },
    { simulationMode: 'Strict' },
  );
  if (raw.resultType === 'error') {
    throw new Error(`iam-simulate rejected ${JSON.stringify(request)}: ${JSON.stringify(raw.errors)}`);
  }
  const results = raw.resultType === 'single' ? [raw.result] : raw.results;
  const ignored = results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) {
    throw new Error(`iam-simulate ignored context keys ${ignored.join(', ')} for ${request.action}`);
  }
  return raw.overallResult;
}

async function expectThrough(request: Request, policy: object): Promise<void> {
  expect(await decide(request, policy)).toBe('Allowed');
}

async function expectBlocked(request: Request, policy: object): Promise<void> {
  // Without the endpoint the request passes: the endpoint policy is what blocks it.
  expect(await decide(request, undefined)).toBe('Allowed');
  expect(await decide(request, policy)).not.toBe('Allowed');
}

let policies: Record<string, any>;

beforeAll(async () => {
  const stack = strictStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711'],
  });
  const endpoints = new PrivateEndpoints(stack, 'Endpoints', {
    vpc,
    services: [
      PrivateEndpointService.SQS,
      PrivateEndpointService.KMS,
      PrivateEndpointService.ECR,
      PrivateEndpointService.STS,
    ],
  });
  const template = Template.fromStack(stack).toJSON();
  const policyOf = (endpoint: ec2.VpcEndpoint) =>
    resolveIntrinsics(template.Resources[logicalId(endpoint)].Properties.PolicyDocument, template);
  policies = {
    sqs: await policyOf(endpoints.endpointsOf(PrivateEndpointService.SQS)[0]),
    kms: await policyOf(endpoints.endpointsOf(PrivateEndpointService.KMS)[0]),
    ecrApi: await policyOf(endpoints.endpointsOf(PrivateEndpointService.ECR)[0]),
    sts: await policyOf(endpoints.endpointsOf(PrivateEndpointService.STS)[0]),
    s3: await policyOf(endpoints.s3GatewayEndpoint!),
  };
});

const worker = `arn:aws:iam::${ACCOUNT}:role/worker`;
const stranger = `arn:aws:iam::${OTHER}:role/intruder`;
const queue = (account: string) => `arn:aws:sqs:us-east-1:${account}:jobs`;

describe('interface endpoints (SQS shown; every interface endpoint has the same policy)', () => {
  test("this account's principals reach this account's queues", async () => {
    await expectThrough(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'sqs:ReceiveMessage',
        resource: queue(ACCOUNT),
        resourceAccount: ACCOUNT,
      },
      policies.sqs,
    );
  });

  test("another account's credentials cannot pass, even to this account's queue", async () => {
    await expectBlocked(
      {
        principal: stranger,
        principalAccount: OTHER,
        action: 'sqs:ReceiveMessage',
        resource: queue(ACCOUNT),
        resourceAccount: ACCOUNT,
      },
      policies.sqs,
    );
  });

  test("this account's principals cannot send data to another account's queue", async () => {
    await expectBlocked(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'sqs:SendMessage',
        resource: queue(OTHER),
        resourceAccount: OTHER,
      },
      policies.sqs,
    );
  });

  test('the same holds for KMS keys and STS roles', async () => {
    const key = (account: string) => `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    await expectThrough(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'kms:Decrypt',
        resource: key(ACCOUNT),
        resourceAccount: ACCOUNT,
      },
      policies.kms,
    );
    await expectBlocked(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'kms:Decrypt',
        resource: key(OTHER),
        resourceAccount: OTHER,
      },
      policies.kms,
    );
    const role = (account: string) => `arn:aws:iam::${account}:role/deployer`;
    await expectThrough(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'sts:AssumeRole',
        resource: role(ACCOUNT),
        resourceAccount: ACCOUNT,
      },
      policies.sts,
    );
    await expectBlocked(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'sts:AssumeRole',
        resource: role(OTHER),
        resourceAccount: OTHER,
      },
      policies.sts,
    );
  });

  test("ECR's API: this account's repositories only", async () => {
    const repo = (account: string) => `arn:aws:ecr:us-east-1:${account}:repository/images`;
    await expectThrough(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'ecr:BatchGetImage',
        resource: repo(ACCOUNT),
        resourceAccount: ACCOUNT,
      },
      policies.ecrApi,
    );
    await expectBlocked(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 'ecr:BatchGetImage',
        resource: repo(OTHER),
        resourceAccount: OTHER,
      },
      policies.ecrApi,
    );
  });
});

describe('the S3 gateway endpoint', () => {
  const object = (bucket: string) => `arn:aws:s3:::${bucket}/videos/cat.mp4`;

  test("this account's principals reach this account's buckets, not another account's", async () => {
    await expectThrough(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 's3:GetObject',
        resource: object('my-videos'),
        resourceAccount: ACCOUNT,
      },
      policies.s3,
    );
    await expectBlocked(
      {
        principal: worker,
        principalAccount: ACCOUNT,
        action: 's3:PutObject',
        resource: object('exfiltration'),
        resourceAccount: OTHER,
      },
      policies.s3,
    );
    await expectBlocked(
      {
        principal: stranger,
        principalAccount: OTHER,
        action: 's3:GetObject',
        resource: object('my-videos'),
        resourceAccount: ACCOUNT,
      },
      policies.s3,
    );
  });

  test("ECR's presigned layer downloads pass: s3:GetObject on prod-<region>-starport-layer-bucket, signed by ECR", async () => {
    await expectThrough(
      {
        principal: ECR_SIGNER,
        principalAccount: '555555555555',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/abc',
        resourceAccount: '555555555555',
      },
      policies.s3,
    );
  });

  test('and nothing else of that bucket or of AWS-owned buckets in general', async () => {
    await expectBlocked(
      {
        principal: ECR_SIGNER,
        principalAccount: '555555555555',
        action: 's3:PutObject',
        resource: 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/abc',
        resourceAccount: '555555555555',
      },
      policies.s3,
    );
    await expectBlocked(
      {
        principal: ECR_SIGNER,
        principalAccount: '555555555555',
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/sha256/abc',
        resourceAccount: '555555555555',
      },
      policies.s3,
    );
    await expectBlocked(
      {
        principal: stranger,
        principalAccount: OTHER,
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::someone-elses-bucket/secret',
        resourceAccount: OTHER,
      },
      policies.s3,
    );
  });
});
