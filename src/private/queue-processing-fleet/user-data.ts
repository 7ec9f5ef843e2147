import { Lazy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';

/** The file the fleet's user data writes the worker's environment to. */
export const ENVIRONMENT_FILE = '/etc/queue-processing-fleet.env';

/** What the worker learns from the environment file. */
export interface WorkerEnvironment {
  readonly queueUrl: string;
  readonly autoScalingGroupName: string;
}

/**
 * The instances' user data: the environment file, exported into the shell, then the worker's own script.
 * The script is rendered at synth, so commands added to it after the fleet was created are included.
 */
export function fleetUserData(
  scope: IConstruct,
  environment: WorkerEnvironment,
  workerScript: ec2.UserData | undefined,
): ec2.UserData {
  const region = Stack.of(scope).region;
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    `cat > ${ENVIRONMENT_FILE} <<'EOF'`,
    `QUEUE_URL=${environment.queueUrl}`,
    `AWS_REGION=${region}`,
    `AWS_DEFAULT_REGION=${region}`,
    `AUTO_SCALING_GROUP_NAME=${environment.autoScalingGroupName}`,
    'EOF',
    `set -a; . ${ENVIRONMENT_FILE}; set +a`,
  );
  if (workerScript) {
    // Checked now, so the refusal names the fleet (an error thrown while the template resolves comes back
    // wrapped in aws-cdk-lib's "Resolution error"); commands added later do not change the first line.
    scriptBody(scope, workerScript);
    userData.addCommands(Lazy.string({ produce: () => scriptBody(scope, workerScript) }));
  }
  return userData;
}

/** The worker's script without its `#!` line: it runs in the fleet's shell, after the environment is set. */
function scriptBody(scope: IConstruct, workerScript: ec2.UserData): string {
  const [firstLine, ...rest] = workerScript.render().split('\n');
  if (!firstLine.startsWith('#!')) {
    throw invalidProp(
      scope,
      'userData',
      'must be a Linux shell script starting with "#!" (ec2.UserData.forLinux())',
      firstLine.slice(0, 40),
    );
  }
  return rest.join('\n');
}
