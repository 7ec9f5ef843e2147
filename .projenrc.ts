import { awscdk, javascript, JsonFile } from 'projen';

// aws-cdk-lib is a peer dependency from 2.258.0, the first release that passes validation plugins
// the construct tree (`IPolicyValidationContext.appConstruct`), which AmazonMQChecks and
// DecouplingChecks evaluate; the test task runs the unit tests against it (test:peer-minimum below).
// Tests and packages build against the newest release whose Go module the Go module proxy serves
// (jsii-pacmak's Go build pins the module to this exact version): 2.277.0 on 2026-12-06. The built-in
// CloudFormation validator (`@aws-cdk/core:validateAgainstDefaultRules`) the tests turn on exists from 2.262.
const CDK_PEER_MINIMUM = '2.258.0';
const CDK_TEST_VERSION = '2.277.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-decoupling-patterns',
  description:
    'AWS CDK constructs for decoupling applications: SQS work queues, SNS fan-out, queue-driven fleets, Kinesis streams and Amazon MQ, secure and operable by default.',
  keywords: ['aws-cdk', 'cdk', 'sqs', 'sns', 'kinesis', 'firehose', 'amazon-mq', 'decoupling', 'cdk-nag'],
  author: 'cdk-decoupling-patterns maintainers',
  authorAddress: 'maintainers@users.noreply.b-seed-d851e189.example',
  repositoryUrl: 'https://github.com/cdk-decoupling-patterns/cdk-decoupling-patterns.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.16.0',

  cdkVersion: CDK_PEER_MINIMUM,
  constructsVersion: '10.5.1',
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~6.0.16',
  typescriptVersion: '~6.0.0',

  // This repository is not hosted on GitHub; CI is `.ci/run`.
  github: false,
  release: false,

  prettier: true,
  prettierOptions: {
    settings: { singleQuote: true, printWidth: 120, trailingComma: javascript.TrailingComma.ALL },
  },
  eslint: true,

  jestOptions: {
    // Snapshots fail on drift; `npx projen test:update` refreshes them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // CI runs on two cores: a synth-heavy test that takes 3 s here can take 15 s there.
      testTimeout: 60_000,
      // Two workers on CI's two cores, not jest's default of one: the behaviour tests mostly wait on the
      // local AWS (a separate process) and the CDK CLI, so a second suite runs in that time.
      maxWorkers: 2,
      // Collects every template a test synthesizes, for cfn-lint after the tests (tools/cfn-lint-suite.ts).
      setupFilesAfterEnv: ['<rootDir>/harness/cfn-lint-collector.ts'],
    },
  },

  docgen: true,

  publishToPypi: {
    distName: 'cdk-decoupling-patterns',
    module: 'cdk_decoupling_patterns',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkdecouplingpatterns',
    mavenGroupId: 'io.github.cdk-decoupling-patterns',
    mavenArtifactId: 'cdk-decoupling-patterns',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkDecouplingPatterns',
    packageId: 'CdkDecouplingPatterns',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-decoupling-patterns/cdk-decoupling-patterns-go',
    packageName: 'cdkdecouplingpatterns',
  },

  devDeps: [
    `aws-cdk-lib@${CDK_TEST_VERSION}`,
    'aws-cdk@2.1149.0',
    'cdk-nag@^3.0.2',
    // Blueprint diagrams: Graphviz compiled to WebAssembly, so rendering needs no system package (Apache-2.0).
    '@hpcc-js/wasm-graphviz@^1.29.2',
    // The dashboards are compared with cdk-monitoring-constructs' for the same resources (tools only).
    'cdk-monitoring-constructs@^10.2.0',
    // Property-based tests: props generated inside, at and beyond every limit (fixed seed in CI).
    'fast-check@^4',
    // AGPL-3.0: used by tests only, never a runtime dependency.
    '@cloud-copilot/iam-simulate@^0.1.173',
    // SDK v3 clients for the embedded local AWS (behaviour tests and the main job).
    // moto speaks HTTP/1.1 only; the SDK's default for Kinesis is HTTP/2.
    '@smithy/node-http-handler',
    ...['cloudformation', 'sqs', 'sns', 'kms', 's3', 'firehose', 'kinesis', 'ssm', 'iam', 'sts'].map(
      (service) => `@aws-sdk/client-${service}@^3`,
    ),
  ],

  tsconfigDev: {
    include: ['../app/**/*.ts', '../tools/**/*.ts', '../harness/**/*.ts'],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'harness', 'app', 'tools', 'projenrc'],
  },
  gitignore: ['/cdk.out/', '/.local-aws/', '/.jsii.tabl.json', '/.peer-minimum/', '/.readme-examples/'],
});

// This machine and CI run Node 20, which jsii 6 still runs but reports as end-of-life
// in a banner on every call.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');

// Plain `jsii`, so reserved words of the target languages are reported.
project.compileTask.reset('jsii');
// Each export of the JavaScript entry point loads its module on first use, so that importing one
// construct does not load every other construct and the blueprints (projenrc/lazy-index.ts).
project.compileTask.exec('ts-node --project projenrc/tsconfig.json projenrc/lazy-index.ts');

// README examples must compile in every language: strict rosetta against rosetta/default.ts-fixture.
project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
project.postCompileTask.exec('jsii-rosetta extract --strict --fail');

// The API reference in Python and Java as well as TypeScript (API.md): names, signatures and types as those
// users write them.
project.tasks.tryFind('docgen')!.exec('jsii-docgen --language python --output API.python.md');
project.tasks.tryFind('docgen')!.exec('jsii-docgen --language java --output API.java.md');

// Package every language in CI too (projen packages only JavaScript when CI is set).
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package-all')!);

// The README's examples, as jsii-rosetta translates them to Python, run against the wheel just built and
// compared with the TypeScript examples' templates (tools/readme-examples.ts): a wrong translation fails CI.
const readmeExamples = project.addTask('readme-examples', {
  description:
    "Run the README's examples in Python against dist/python's wheel; their templates must match TypeScript's",
  exec: 'ts-node --prefer-ts-exts tools/readme-examples.ts',
});
project.packageTask.spawn(readmeExamples);

// .NET is packaged only where a dotnet toolchain exists (this machine has none).
project.tasks.tryFind('package:dotnet')?.addCondition('command -v dotnet >/dev/null');

// jsii-pacmak's Go build requires the Go modules of the exact npm versions installed, so
// the dependencies aws-cdk-lib brings are pinned to the ones its Go module (2.277.0) names.
project.addDevDeps('constructs@10.8.1');
project.package.file.addOverride('overrides', {
  '@aws-cdk/cloud-assembly-schema': '55.6.0',
  '@aws-cdk/asset-node-proxy-agent-v6': '2.1.3',
});

// The checksum database is not reachable from here for the aws-cdk-go modules the Go
// build needs; the modules still come from the Go module proxy.
project.tasks.tryFind('package:go')?.env('GOSUMDB', 'off');

// app/ is linted with type information like src/ and test/ (tools/ and harness/ have tsconfigs of their own).
project
  .tryFindObjectFile('.eslintrc.json')
  ?.addOverride('parserOptions.projectService.allowDefaultProject', ['.projenrc.ts', 'app/*.ts']);

// harness/ (the dev harness: local AWS, access proofs, compliance, scenarios) too, through a tsconfig
// of its own: eslint's project service takes the tsconfig.json nearest to a file (the root one covers
// src/ only), and harness/ has too many files and folders for allowDefaultProject.
const harnessTsconfig = new javascript.TypescriptConfig(project, {
  fileName: 'harness/tsconfig.json',
  include: ['**/*.ts'],
  exclude: ['node_modules'],
  compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
});
harnessTsconfig.addExtends(project.tsconfig!);
// tools/ (the main job's, benchmark's and checks' scripts) the same way: too many files for allowDefaultProject.
const toolsTsconfig = new javascript.TypescriptConfig(project, {
  fileName: 'tools/tsconfig.json',
  include: ['**/*.ts'],
  exclude: ['node_modules'],
  compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
});
toolsTsconfig.addExtends(project.tsconfig!);

// Never ship the dev harness, the local AWS venv or synthesized templates in the npm package.
project.addPackageIgnore('/harness/');
project.addPackageIgnore('/.local-aws/');
project.addPackageIgnore('/cdk.out/');
project.addPackageIgnore('/.peer-minimum/');
project.addPackageIgnore('/.readme-examples/');
project.addPackageIgnore('/jest.peer-minimum.json');
// The example Flink application is built on its own (examples/flink-truck-counts/build.sh), not shipped.
project.addPackageIgnore('/examples/');

// The main job: synthesize every blueprint (templates and compliance result), deploy them
// with the CDK CLI into the embedded local AWS and drive the seed scenario through them.
// The example Flink application the telemetry blueprint runs: Maven shades its Kinesis connector (about
// 63 MB, so it is built, never committed); the blueprints task builds it first.
const truckCountsExample = project.addTask('example:truck-counts', {
  description:
    'Build examples/flink-truck-counts/build/flink-truck-counts.zip, the Flink application of the telemetry blueprint',
  exec: 'bash examples/flink-truck-counts/build.sh',
});
const blueprints = project.addTask('blueprints', {
  description: 'Synthesize the blueprint stacks into cdk.out and check them with the five compliance packs',
  steps: [{ spawn: truckCountsExample.name }, { exec: 'ts-node --prefer-ts-exts tools/synth-blueprints.ts' }],
});
project.addTask('demo', {
  description:
    'The main job: synthesize and check the blueprints, deploy them into the embedded local AWS, run the seed scenario',
  steps: [{ spawn: blueprints.name }, { exec: 'ts-node --prefer-ts-exts tools/demo.ts' }],
});
// cfn-lint over every distinct template the tests synthesized: errors, and warnings not accepted in
// harness/cfn-lint.ts, fail the build. The collection starts empty on each run.
project.testTask.prependExec('rm -rf .local-aws/cfn-lint/templates');
project.testTask.exec('ts-node --prefer-ts-exts tools/cfn-lint-suite.ts');
// The example Flink application's SQL, checked without PyFlink or a network (a second, no Flink runs).
project.testTask.exec(
  'python3 -m unittest discover --start-directory examples/flink-truck-counts --top-level-directory examples/flink-truck-counts',
);

// The peer minimum is tested, not assumed: the unit tests (not the local-AWS behaviour tests, nor the
// property tests, which take most of the suite's time) run again against aws-cdk-lib at CDK_PEER_MINIMUM,
// installed on its own under .peer-minimum/ and mapped in for aws-cdk-lib. Snapshots are left out: asset
// hashes and what aws-cdk-lib renders by default differ between releases.
const PEER_MINIMUM_DIR = '.peer-minimum';
new JsonFile(project, 'jest.peer-minimum.json', {
  obj: {
    rootDir: '.',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    // The diagrams are committed artifacts of the tested release (like snapshots): not compared here.
    testPathIgnorePatterns: [
      '/node_modules/',
      '\\.behaviour\\.test\\.ts$',
      '\\.properties\\.test\\.ts$',
      '/test/diagrams\\.test\\.ts$',
    ],
    testNamePattern: '^(?!.*(matches the snapshot|\\(snapshot\\)))',
    testTimeout: 60_000,
    maxWorkers: 2,
    transform: { '^.+\\.[t]sx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
    moduleNameMapper: {
      '^aws-cdk-lib$': `<rootDir>/${PEER_MINIMUM_DIR}/node_modules/aws-cdk-lib`,
      '^aws-cdk-lib/(.*)$': `<rootDir>/${PEER_MINIMUM_DIR}/node_modules/aws-cdk-lib/$1`,
    },
  },
});
const peerMinimumTests = project.addTask('test:peer-minimum', {
  description: `Run the unit tests against aws-cdk-lib ${CDK_PEER_MINIMUM}, the peer minimum`,
  steps: [
    {
      exec: `mkdir -p ${PEER_MINIMUM_DIR} && echo '{"name":"peer-minimum","private":true}' > ${PEER_MINIMUM_DIR}/package.json`,
    },
    {
      exec: `npm install --prefix ${PEER_MINIMUM_DIR} --no-audit --no-fund --ignore-scripts --no-package-lock aws-cdk-lib@${CDK_PEER_MINIMUM}`,
    },
    { exec: 'jest --config jest.peer-minimum.json --ci --coverage=false' },
  ],
});
project.testTask.spawn(peerMinimumTests);

// The blueprints' architecture diagrams (docs/diagrams/*.svg), generated from the synthesized blueprints;
// test/diagrams.test.ts fails when a committed diagram no longer matches its blueprint.
project.addTask('diagrams', {
  description: 'Regenerate docs/diagrams/<blueprint>.svg from the synthesized blueprints',
  exec: 'ts-node --prefer-ts-exts tools/diagrams.ts',
});

project.addTask('benchmark', {
  description: 'Print emulator cold start, deploy times and SQS throughput figures',
  exec: 'ts-node --prefer-ts-exts tools/benchmark.ts',
});

// The CDK app that synthesizes every blueprint stack of the library.
new JsonFile(project, 'cdk.json', {
  obj: {
    app: 'npx ts-node --prefer-ts-exts app/blueprints.ts',
    output: 'cdk.out',
    context: {
      '@aws-cdk/core:validateAgainstDefaultRules': true,
      '@aws-cdk/core:strictCfnValidateErrors': true,
    },
  },
});

project.synth();
