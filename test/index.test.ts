import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The package's JavaScript entry point (lib/index.js, as jsii compiled it and projenrc/lazy-index.ts
// rewrote it): every type of the assembly is there, the blueprints only under `blueprints`, and a
// construct loads only its own module.
const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

interface AssemblyType {
  readonly kind: 'class' | 'enum' | 'interface';
  readonly name: string;
  readonly namespace?: string;
}

function assemblyTypes(): AssemblyType[] {
  return Object.values(JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8')).types);
}

/** Runs `script` in a fresh Node process (nothing loaded yet) and returns what it printed as JSON. */
function inFreshNode(script: string): any {
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

beforeAll(() => {
  const index = path.join(LIB, 'index.js');
  if (!fs.existsSync(index) || !fs.readFileSync(index, 'utf8').includes('Written by projenrc/lazy-index.ts')) {
    throw new Error('lib/index.js is missing or was not rewritten: run `npx projen compile` first');
  }
});

test('every class and enum of the assembly is exported, blueprints under the blueprints namespace only', () => {
  const values = assemblyTypes().filter((type) => type.kind !== 'interface');
  const exported = inFreshNode(`
    const lib = require('./lib');
    const found = {};
    for (const [name, namespace] of ${JSON.stringify(values.map((t) => [t.name, t.namespace ?? '']))}) {
      found[namespace + '.' + name] = typeof (namespace ? lib[namespace][name] : lib[name]);
    }
    found.rootWorkQueueBlueprint = typeof lib.WorkQueueBlueprint;
    console.log(JSON.stringify(found));
  `);
  expect(values.filter((t) => t.namespace === 'blueprints').map((t) => t.name)).toContain('VideoEncodingBlueprint');
  for (const type of values) {
    expect([`${type.namespace ?? ''}.${type.name}`, exported[`${type.namespace ?? ''}.${type.name}`]]).toEqual([
      `${type.namespace ?? ''}.${type.name}`,
      type.kind === 'class' ? 'function' : 'object',
    ]);
  }
  expect(exported.rootWorkQueueBlueprint).toBe('undefined');
});

test('importing WorkQueue loads neither the other constructs nor the blueprints', () => {
  const loaded: string[] = inFreshNode(`
    const { WorkQueue } = require('./lib');
    if (typeof WorkQueue !== 'function') throw new Error('no WorkQueue');
    console.log(JSON.stringify(Object.keys(require.cache)));
  `);
  const ours = loaded.filter((file) => file.startsWith(LIB + path.sep)).map((file) => path.relative(LIB, file));
  expect(ours).toContain('work-queue.js');
  for (const unrelated of [
    'message-broker.js',
    'queue-processing-fleet.js',
    'encrypted-stream.js',
    'stream-to-s3.js',
  ]) {
    expect(ours).not.toContain(unrelated);
  }
  expect(ours.filter((file) => file.startsWith('blueprints'))).toEqual([]);
  // aws-cdk-lib loads its modules lazily too: nothing of EC2, Auto Scaling or Amazon MQ beyond their index.
  const heavy = loaded.filter((file) => /aws-cdk-lib\/aws-(ec2|autoscaling|amazonmq)\/lib\//.test(file));
  expect(heavy).toEqual([]);
});
