// Runs after jsii compiles: rewrites lib/index.js so that each export is loaded on first use.
//
// TypeScript compiles `export * from './x'` into an eager `require('./x')` of every module, so
// importing WorkQueue alone would load the Amazon MQ, EC2 and Auto Scaling code of the other
// constructs and every blueprint. aws-cdk-lib loads its own modules lazily, so this is the whole
// cost of a construct a user does not use. The types (lib/index.d.ts) and the jsii assembly are
// unchanged; only the JavaScript entry point defers each `require` to the first property access.
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.resolve(__dirname, '..', 'lib');
const INDEX = path.join(LIB, 'index.js');

const source = fs.readFileSync(INDEX, 'utf8');
if (source.includes('Written by projenrc/lazy-index.ts')) {
  process.exit(0);
}

const lines: string[] = [];
for (const match of source.matchAll(/__exportStar\(require\("(\.\/[^"]+)"\), exports\);/g)) {
  const modulePath = match[1];
  // The names a module exports at run time (classes and enums; interfaces have no value).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const names = Object.keys(require(path.join(LIB, modulePath))).filter((name) => name !== '__esModule');
  lines.push(`lazy(${JSON.stringify(modulePath)}, ${JSON.stringify(names)});`);
}
for (const match of source.matchAll(/exports\.(\w+) = (?:__importStar\()?require\("(\.\/[^"]+)"\)\)?;/g)) {
  const [, namespace, modulePath] = match;
  lines.push(`lazyNamespace(${JSON.stringify(namespace)}, ${JSON.stringify(modulePath)});`);
}
const recognised = (source.match(/require\(/g) ?? []).length;
if (recognised !== lines.length) {
  throw new Error(
    `lib/index.js has ${recognised} require() calls but ${lines.length} were recognised as re-exports; ` +
      'update projenrc/lazy-index.ts for the new form of export in src/index.ts',
  );
}

fs.writeFileSync(
  INDEX,
  [
    '"use strict";',
    '// Written by projenrc/lazy-index.ts after jsii: each export is loaded on first use.',
    'Object.defineProperty(exports, "__esModule", { value: true });',
    'function lazy(modulePath, names) {',
    '    for (const name of names) {',
    '        Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => require(modulePath)[name] });',
    '    }',
    '}',
    'function lazyNamespace(name, modulePath) {',
    '    Object.defineProperty(exports, name, { enumerable: true, configurable: true, get: () => require(modulePath) });',
    '}',
    ...lines,
    '',
  ].join('\n'),
);
