// The project's CDK CLI, run against the embedded local AWS (shared by the demo and the benchmark).
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..');
const CDK_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
// Variables that could point the CLI at a real account; the local AWS's static keys must win.
const REAL_AWS_VARIABLES = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN'];

export interface CdkCliResult {
  readonly exitCode: number;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
  readonly ms: number;
}

/** The environment for a CDK CLI run against the local AWS: `local.env()` over ours, minus real-account settings. */
export function cdkCliEnv(localEnv: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...localEnv, CDK_DISABLE_CLI_TELEMETRY: 'true' };
  for (const name of REAL_AWS_VARIABLES) {
    delete env[name];
  }
  return env;
}

/**
 * Runs the project's `cdk` CLI and captures its output (shown by the caller only on failure).
 * Run it with `cwd` outside the repository, so that the CLI neither reads the repo's cdk.json nor
 * writes a cdk.context.json into it.
 */
export function runCdkCli(
  args: string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly signal?: AbortSignal },
): Promise<CdkCliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(CDK_BIN, [...args, '--no-notices'], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (output += data.toString('utf8')));
    child.on('error', (err) => (output += `\n${err.message}`));
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 : 1), output: output.trim(), ms: Date.now() - started }),
    );
  });
}
