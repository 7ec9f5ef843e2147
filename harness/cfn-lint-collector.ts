/**
 * A jest setup file: every template any test synthesizes is collected (once per distinct content) for
 * `tools/cfn-lint-suite.ts`, which lints them all after the tests. Tests need not remember to lint.
 *
 * It wraps `Stage.prototype.synth` in this test file's module registry; jest runs setup files in the
 * same registry as the test, so the wrapped class is the one the test's constructs use.
 * An app that is broken on purpose opts out with the `SKIP_CFN_LINT_CONTEXT` context key.
 */
import * as path from 'node:path';
import { Stage } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { collectTemplate, SKIP_CFN_LINT_CONTEXT } from './cfn-lint';

const originalSynth = Stage.prototype.synth;

Stage.prototype.synth = function synthAndCollect(this: Stage, options?: any): cxapi.CloudAssembly {
  const assembly = originalSynth.call(this, options);
  if (this.node.tryGetContext(SKIP_CFN_LINT_CONTEXT) !== true) {
    const testFile = path.basename(expect.getState().testPath ?? 'unknown', '.test.ts');
    collectAssembly(assembly, testFile);
  }
  return assembly;
};

function collectAssembly(assembly: cxapi.CloudAssembly, label: string): void {
  for (const artifact of assembly.artifacts) {
    if (artifact instanceof cxapi.CloudFormationStackArtifact) {
      collectTemplate(artifact.template, `${label}.${artifact.stackName}`);
    } else if (artifact instanceof cxapi.NestedCloudAssemblyArtifact) {
      collectAssembly(artifact.nestedAssembly, label);
    }
  }
}
