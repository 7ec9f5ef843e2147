// The README's examples, run in Python against the built wheel (dist/python), and compared with the same
// examples run in TypeScript: each example's template must be the same in both languages, so that a Python
// user who copies an example gets what the TypeScript user gets. The Python code is jsii-rosetta's
// translation (.jsii.tabl.json, written by post-compile), exactly what the Python docs show.
//
// Usage: ts-node tools/readme-examples.ts   (after `npx projen package:python`; the package task runs it)
//
// Variables an example only declares (`declare const worker: iam.IGrantable`) get the same stand-in in both
// languages (tools/readme-examples/stand-ins.ts and stand_ins.py). Stacks an example puts in an App of its own
// (`new App()` inside the example) are synthesized but not compared; only the example's own stack is.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { STAND_IN_TYPES } from './readme-examples/stand-ins';

const ROOT = path.join(__dirname, '..');
const WORK_DIR = path.join(ROOT, '.readme-examples');
const VENV = path.join(WORK_DIR, 'venv');
const TABLET = path.join(ROOT, '.jsii.tabl.json');
/** Where the examples run, with stand-ins for the assets they name (`lambda.Code.fromAsset('thumbnailer')`). */
const PROJECT_DIR = path.join(WORK_DIR, 'project');
/** The compiled library (jsii output), which the wheel packages too. */
const LIB = path.join(ROOT, 'lib');

interface Snippet {
  readonly line: number;
  readonly typescript: string;
  readonly python: string;
  /** The program rosetta compiled: the example in its fixture (rosetta/*.ts-fixture). */
  readonly fullSource: string;
}

/** The README's examples, in README order. */
export function readmeSnippets(tabletPath = TABLET): Snippet[] {
  const tablet = JSON.parse(fs.readFileSync(tabletPath, 'utf-8'));
  return Object.values<any>(tablet.snippets)
    .filter((s) => s.location?.api?.api === 'moduleReadme' && s.didCompile)
    .map((s) => ({
      line: s.location.field.line,
      typescript: s.translations.$.source,
      python: s.translations.python.source,
      fullSource: s.fullSource,
    }))
    .sort((a, b) => a.line - b.line);
}

/** `declare const name: Type;` of an example, in order. */
function declarations(typescript: string): Array<{ name: string; type: string }> {
  return [...typescript.matchAll(/^declare const (\w+): ([\w.]+);/gm)].map((m) => ({ name: m[1], type: m[2] }));
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The account, region and zones the examples are synthesized in (both languages): a RabbitMQ cluster needs three zones. */
export const ENV = { account: '123456789012', region: 'us-east-1' };
const ZONES = ['a', 'b', 'c'].map((z) => `${ENV.region}${z}`);
export const APP_CONTEXT = { [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ZONES };

/** The fixture's imports in Python, as jsii-rosetta names the modules. */
function pythonImports(fullSource: string): string[] {
  const lines: string[] = [];
  for (const m of fullSource.matchAll(/^import \* as (\w+) from '([^']+)';/gm)) {
    const [, alias, module] = m;
    const pythonAlias = alias === 'lambda' ? 'lambda_' : alias;
    if (module === 'cdk-decoupling-patterns') {
      lines.push(`import cdk_decoupling_patterns as ${pythonAlias}`);
    } else if (module.startsWith('aws-cdk-lib/')) {
      lines.push(`import aws_cdk.${module.slice('aws-cdk-lib/'.length).replace(/-/g, '_')} as ${pythonAlias}`);
    }
  }
  for (const m of fullSource.matchAll(/^import \{([^}]+)\} from '([^']+)';/gm)) {
    const names = m[1]
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .join(', ');
    const module = {
      'aws-cdk-lib': 'aws_cdk',
      constructs: 'constructs',
      'cdk-decoupling-patterns': 'cdk_decoupling_patterns',
    }[m[2]];
    if (module) {
      lines.push(`from ${module} import ${names}`);
    }
  }
  return [...lines, 'from stand_ins import stand_in'];
}

/** TypeScript as CommonJS, with the library taken from lib/ (what the wheel packages) by absolute path. */
function transpile(source: string): string {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  return js
    .replace(/require\("cdk-decoupling-patterns"\)/g, `require(${JSON.stringify(LIB)})`)
    .replace(/require\("\.\.\/\.\.\/lib"\)/g, `require(${JSON.stringify(LIB)})`);
}

/** The program rosetta compiled, as a module exporting `build(scope)`. */
function typescriptModule(snippet: Snippet): string {
  const declared = declarations(snippet.fullSource);
  const standIns = declared.map((d) => `const ${d.name}: any = standIn(this, '${d.name}', '${d.type}');`).join('\n');
  const withoutDeclarations = snippet.fullSource.replace(/^declare const .*$/gm, '');
  const imports = "\nimport { standIn } from './stand-ins';\nimport { Stack as FixtureStack } from 'aws-cdk-lib';\n";
  if (/class Fixture extends Stack/.test(withoutDeclarations)) {
    return transpile(
      withoutDeclarations.replace(/super\(scope, id\);/, `super(scope, id);\n${standIns}`) +
        `${imports}export function build(scope: any): void { new Fixture(scope, 'Fixture'); }\n`,
    );
  }
  // An example without the fixture (its own App): run it, next to an empty stack as in Python.
  const lines = withoutDeclarations.split('\n');
  const importLines = lines.filter((l) => /^import /.test(l));
  const rest = lines.filter((l) => !/^import /.test(l));
  return transpile(
    `${importLines.join('\n')}${imports}export function build(scope: any): void {\nnew FixtureStack(scope, 'Fixture');\n${rest.join('\n')}\n}\n`,
  );
}

/** Each example as its own Python module `snippet_<line>.py` with a function `build(self)`. */
function pythonModules(snippets: Snippet[]): Map<string, string> {
  const modules = new Map<string, string>();
  for (const snippet of snippets) {
    const standIns = declarations(snippet.fullSource).map(
      (d) => `    ${snakeCase(d.name)} = stand_in(self, ${JSON.stringify(d.name)}, ${JSON.stringify(d.type)})`,
    );
    const body = snippet.python.split('\n').map((l) => (l.trim() === '' ? '' : `    ${l}`));
    const imports = pythonImports(snippet.fullSource);
    modules.set(
      `snippet_${snippet.line}.py`,
      [...imports, '', '', 'def build(self):', ...standIns, ...body, '    pass', ''].join('\n'),
    );
  }
  return modules;
}

/** A stand-in for every relative asset path the examples name: a file for a name with an extension, else a directory. */
function writeStandInAssets(snippets: Snippet[]): void {
  fs.rmSync(PROJECT_DIR, { recursive: true, force: true });
  fs.mkdirSync(PROJECT_DIR, { recursive: true });
  for (const snippet of snippets) {
    for (const m of snippet.typescript.matchAll(/fromAsset\('([^']+)'\)/g)) {
      const target = path.join(PROJECT_DIR, m[1]);
      if (path.extname(m[1])) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, `stand-in for ${m[1]}\n`);
      } else {
        fs.mkdirSync(target, { recursive: true });
        fs.writeFileSync(path.join(target, 'index.js'), 'exports.handler = async () => ({});\n');
        fs.writeFileSync(path.join(target, 'Dockerfile'), 'FROM public.ecr.aws/docker/library/busybox:latest\n');
      }
    }
  }
}

type Result = { template?: any; error?: string };

/**
 * Runs every example in TypeScript in a Node process where `aws-cdk-lib` is `cdkVersion` (the release the
 * Python run got from PyPI), installed under .readme-examples/node: the same library code in both languages.
 */
function runTypescript(snippets: Snippet[], cdkVersion: string): Record<string, Result> {
  const nodeDir = path.join(WORK_DIR, 'node');
  const cdkDir = path.join(nodeDir, 'node_modules', 'aws-cdk-lib');
  const installed = fs.existsSync(path.join(cdkDir, 'package.json'))
    ? JSON.parse(fs.readFileSync(path.join(cdkDir, 'package.json'), 'utf-8')).version
    : undefined;
  if (installed !== cdkVersion) {
    fs.mkdirSync(nodeDir, { recursive: true });
    fs.writeFileSync(path.join(nodeDir, 'package.json'), '{"name":"readme-examples","private":true}');
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        nodeDir,
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        `aws-cdk-lib@${cdkVersion}`,
      ],
      { stdio: 'inherit' },
    );
  }
  const modulesDir = path.join(WORK_DIR, 'typescript');
  fs.rmSync(modulesDir, { recursive: true, force: true });
  fs.mkdirSync(modulesDir, { recursive: true });
  for (const snippet of snippets) {
    fs.writeFileSync(path.join(modulesDir, `snippet-${snippet.line}.js`), typescriptModule(snippet));
  }
  for (const name of ['stand-ins', 'typescript-runner']) {
    const source = fs.readFileSync(path.join(__dirname, 'readme-examples', `${name}.ts`), 'utf-8');
    fs.writeFileSync(path.join(modulesDir, `${name}.js`), transpile(source));
  }
  // Every `aws-cdk-lib` import, from lib/ and from the examples alike, resolves to that release.
  const mapper = `const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'aws-cdk-lib' || request.startsWith('aws-cdk-lib/')) {
    return resolve.call(this, request, { id: ${JSON.stringify(nodeDir)}, filename: ${JSON.stringify(path.join(nodeDir, 'index.js'))}, paths: [${JSON.stringify(path.join(nodeDir, 'node_modules'))}] }, ...rest.slice(1));
  }
  return resolve.call(this, request, ...rest);
};
`;
  fs.writeFileSync(path.join(modulesDir, 'map-aws-cdk-lib.js'), mapper);
  const settings = path.join(modulesDir, 'settings.json');
  fs.writeFileSync(
    settings,
    JSON.stringify({
      env: ENV,
      context: APP_CONTEXT,
      lines: snippets.map((s) => s.line),
      modulesDir,
      projectDir: PROJECT_DIR,
    }),
  );
  const out = path.join(modulesDir, 'templates.json');
  execFileSync(
    process.execPath,
    ['-r', path.join(modulesDir, 'map-aws-cdk-lib.js'), path.join(modulesDir, 'typescript-runner.js'), out, settings],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return JSON.parse(fs.readFileSync(out, 'utf-8'));
}

/** The venv with the wheel of dist/python installed (its dependencies from PyPI). */
function pythonWithWheel(): string {
  const wheels = fs.existsSync(path.join(ROOT, 'dist', 'python'))
    ? fs.readdirSync(path.join(ROOT, 'dist', 'python')).filter((f) => f.endsWith('.whl'))
    : [];
  if (wheels.length !== 1) {
    throw new Error(`expected one wheel in dist/python (npx projen package:python builds it), found ${wheels.length}`);
  }
  const python = path.join(VENV, 'bin', 'python');
  if (!fs.existsSync(python)) {
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  }
  const wheel = path.join(ROOT, 'dist', 'python', wheels[0]);
  const pip = (args: string[]) =>
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...args], {
      stdio: 'inherit',
    });
  pip([wheel]); // the dependencies, once
  pip(['--force-reinstall', '--no-deps', wheel]); // this build's wheel, always
  return python;
}

function runPython(snippets: Snippet[]): { results: Record<string, Result>; cdkVersion: string } {
  const python = pythonWithWheel();
  const dir = path.join(WORK_DIR, 'python');
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, source] of pythonModules(snippets)) {
    fs.writeFileSync(path.join(dir, file), source);
  }
  fs.writeFileSync(path.join(dir, 'lines.json'), JSON.stringify(snippets.map((s) => s.line)));
  for (const file of ['runner.py', 'stand_ins.py']) {
    fs.copyFileSync(path.join(__dirname, 'readme-examples', file), path.join(dir, file));
  }
  const out = path.join(dir, 'templates.json');
  execFileSync(python, [path.join(dir, 'runner.py'), out, JSON.stringify({ env: ENV, context: APP_CONTEXT, dir })], {
    // The jsii runtime resolves relative asset paths against the directory the Python process starts in.
    cwd: PROJECT_DIR,
    stdio: 'inherit',
    env: { ...process.env, PYTHONPATH: dir, EXAMPLES_PROJECT_DIR: PROJECT_DIR },
  });
  const cdkVersion = execFileSync(python, ['-c', "import importlib.metadata as m; print(m.version('aws-cdk-lib'))"], {
    encoding: 'utf-8',
  }).trim();
  return { results: JSON.parse(fs.readFileSync(out, 'utf-8')), cdkVersion };
}

/** The template without what differs by language or version only: CDK's version-reporting metadata. */
function comparable(template: any): any {
  const copy = JSON.parse(JSON.stringify(template ?? {}));
  delete copy.Resources?.CDKMetadata;
  delete copy.Conditions?.CDKMetadataAvailable;
  if (copy.Conditions && Object.keys(copy.Conditions).length === 0) delete copy.Conditions;
  return copy;
}

/** The first place two JSON values differ, as a path with both values. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const key of keys) {
      const found = firstDifference((a as any)[key], (b as any)[key], `${at}/${key}`);
      if (found) return found;
    }
  }
  return `${at || '/'}: TypeScript ${JSON.stringify(a)?.slice(0, 200)} vs Python ${JSON.stringify(b)?.slice(0, 200)}`;
}

/**
 * `mypy --strict` on an app that uses every construct (tools/readme-examples/typecheck_app.py), against the
 * wheel's type hints: what a Python user writes must type-check. Returns its last line, or throws with its output.
 */
function typeCheck(python: string): string {
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'mypy'], {
    stdio: 'inherit',
  });
  const app = path.join(__dirname, 'readme-examples', 'typecheck_app.py');
  try {
    const output = execFileSync(
      python,
      ['-m', 'mypy', '--strict', '--cache-dir', path.join(WORK_DIR, 'mypy-cache'), app],
      { encoding: 'utf-8' },
    );
    return output.trim().split('\n').pop() ?? '';
  } catch (error) {
    throw new Error(`mypy --strict found errors in ${app}:\n${(error as { stdout?: string }).stdout ?? error}`);
  }
}

function main(): number {
  const snippets = readmeSnippets();
  const unsupported = snippets.flatMap((s) =>
    declarations(s.fullSource)
      .filter((d) => !STAND_IN_TYPES.has(d.type))
      .map((d) => `README line ${s.line}: no stand-in for ${d.name}: ${d.type}`),
  );
  if (unsupported.length > 0) {
    console.error(unsupported.join('\n'));
    return 1;
  }
  const started = Date.now();
  writeStandInAssets(snippets);
  const { results: python, cdkVersion } = runPython(snippets);
  const typescriptResults = runTypescript(snippets, cdkVersion);
  const failures: string[] = [];
  let resources = 0;
  for (const snippet of snippets) {
    const typescript = typescriptResults[String(snippet.line)] ?? { error: 'not run' };
    const py = python[String(snippet.line)] ?? { error: 'not run' };
    const where = `README line ${snippet.line}`;
    if (typescript.error || py.error) {
      failures.push(
        `${where}: ${typescript.error ? `TypeScript: ${typescript.error}` : ''}${py.error ? ` Python: ${py.error}` : ''}`,
      );
      continue;
    }
    const difference = firstDifference(comparable(typescript.template), comparable(py.template));
    if (difference) {
      failures.push(`${where}: the templates differ at ${difference}`);
    }
    resources += Object.keys(comparable(typescript.template).Resources ?? {}).length;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `README examples in Python: ${snippets.length} run against the wheel (aws-cdk-lib ${cdkVersion} from PyPI), ${snippets.length - failures.length} with the TypeScript example's template (${resources} resources compared), ${failures.length} not, in ${seconds} s`,
  );
  if (failures.length > 0) {
    console.error(failures.map((f) => `  - ${f}`).join('\n'));
    return 1;
  }
  const typeCheckStarted = Date.now();
  const mypy = typeCheck(path.join(VENV, 'bin', 'python'));
  console.log(
    `mypy --strict on an app using every construct: ${mypy} (${((Date.now() - typeCheckStarted) / 1000).toFixed(1)} s)`,
  );
  return 0;
}

if (require.main === module) {
  process.exitCode = main();
}
