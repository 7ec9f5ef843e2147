import * as net from 'node:net';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { IAMClient } from '@aws-sdk/client-iam';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
// Installed with every SDK v3 client (they all depend on it); not a direct devDependency of the project.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { httpRequest } from './http';
import { MotoProcess } from './moto-process';
import { ensureMoto, EnsureMotoOptions } from './moto-venv';

export { ensureMoto, motoInstalled, MOTO_VERSION, CFN_LINT_VERSION } from './moto-venv';
export type { EnsureMotoOptions, MotoInstallation } from './moto-venv';

/** Static credentials moto accepts (it accepts any). */
export interface LocalAwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The configuration every SDK v3 client gets from {@link LocalAws.client}. */
export interface LocalAwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: LocalAwsCredentials;
  /** S3 only (other clients ignore it): moto understands path-style bucket URLs on `localhost`. */
  readonly forcePathStyle: boolean;
  /** HTTP/1.1: moto (werkzeug) rejects the HTTP/2 that the Kinesis client uses by default. */
  readonly requestHandler: NodeHttpHandler;
}

/** Any SDK v3 client class, e.g. `SQSClient`. */
export type AwsClientClass<C> = new (config: LocalAwsClientConfig) => C;

export interface StartLocalAwsOptions extends EnsureMotoOptions {
  /**
   * How long to wait for moto to answer after spawning it.
   * @default 60_000
   */
  readonly startTimeoutMs?: number;
}

/** A running moto server: endpoint, identity, SDK clients, reset and stop. */
export class LocalAws {
  public readonly endpoint: string;
  public readonly region = 'us-east-1';
  public readonly account = '123456789012';
  public readonly credentials: LocalAwsCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  private readonly clients = new Map<AwsClientClass<unknown>, { destroy(): void }>();

  /** Use {@link startLocalAws}. */
  constructor(private readonly server: MotoProcess) {
    // localhost, not 127.0.0.1: moto recognises path-style S3 URLs only on localhost.
    this.endpoint = `http://localhost:${server.port}`;
  }

  public get port(): number {
    return this.server.port;
  }

  /** The watchdog's pid; moto_server is its child. */
  public get pid(): number | undefined {
    return this.server.pid;
  }

  public get running(): boolean {
    return this.server.running;
  }

  /** Environment variables that point a child process (the CDK CLI, the AWS CLI, a script) at this server. */
  public env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_ACCESS_KEY_ID: this.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.credentials.secretAccessKey,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
    };
  }

  /**
   * An SDK v3 client of the given class pointed at this server. One instance per class is kept and
   * destroyed by {@link stop}, so tests do not leak sockets.
   */
  public client<C extends { destroy(): void }>(ClientClass: AwsClientClass<C>): C {
    let client = this.clients.get(ClientClass) as C | undefined;
    if (!client) {
      client = new ClientClass({
        endpoint: this.endpoint,
        region: this.region,
        credentials: this.credentials,
        forcePathStyle: true,
        requestHandler: new NodeHttpHandler(),
      });
      this.clients.set(ClientClass, client);
    }
    return client;
  }

  public sqs(): SQSClient {
    return this.client(SQSClient);
  }

  public sns(): SNSClient {
    return this.client(SNSClient);
  }

  public cloudformation(): CloudFormationClient {
    return this.client(CloudFormationClient);
  }

  public kms(): KMSClient {
    return this.client(KMSClient);
  }

  public s3(): S3Client {
    return this.client(S3Client);
  }

  public firehose(): FirehoseClient {
    return this.client(FirehoseClient);
  }

  public kinesis(): KinesisClient {
    return this.client(KinesisClient);
  }

  public ssm(): SSMClient {
    return this.client(SSMClient);
  }

  public iam(): IAMClient {
    return this.client(IAMClient);
  }

  /**
   * The tail of moto's log (request lines, "resource type not supported" warnings, tracebacks);
   * with `since` (from {@link logMark}), only what came after it.
   */
  public logs(since?: number): string {
    return this.server.logs(since);
  }

  /** The current position in moto's log, to pass to {@link logs} later. */
  public logMark(): number {
    return this.server.logMark();
  }

  /** Drops every resource in every service (moto's `POST /moto-api/reset`). */
  public async reset(): Promise<void> {
    const res = await httpRequest('POST', `${this.endpoint}/moto-api/reset`);
    if (res.status !== 200) {
      throw new Error(`moto reset failed with HTTP ${res.status}: ${res.body}`);
    }
  }

  /** Stops the server and waits until it is gone. Idempotent. */
  public async stop(): Promise<void> {
    for (const client of this.clients.values()) {
      client.destroy();
    }
    this.clients.clear();
    await this.server.stop();
  }
}

/**
 * Starts a fresh moto server on a free port (provisioning the venv on first use).
 * Each call is an independent server with its own state; call `stop()` in `afterAll`.
 */
export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const moto = await ensureMoto(options);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  // The port is free when we ask but could be taken before moto binds it; retry on that race only.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return new LocalAws(await MotoProcess.start(moto, port, timeoutMs));
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/i.test(String(e))) {
        throw e;
      }
    }
  }
}

/** Asks the OS for a free TCP port: listen on port 0, read the port, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
