import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The moto release every test runs against; bump it deliberately, the venv directory name follows it. */
export const MOTO_VERSION = '5.2.5';

/**
 * The cfn-lint release (AWS's CloudFormation linter) the suite lints every template with. moto depends
 * on cfn-lint already; pinning it here makes the lint deterministic. Bump it deliberately.
 */
export const CFN_LINT_VERSION = '1.58.0';

/** Where a provisioned moto lives. */
export interface MotoInstallation {
  /** The moto version installed in the venv. */
  readonly version: string;
  /** The venv directory, `<repo>/.local-aws/venv-moto-<version>-cfn-lint-<version>`. */
  readonly venvDir: string;
  /** The venv's Python interpreter (also runs the watchdog). */
  readonly python: string;
  /** The venv's `moto_server` entry point. */
  readonly motoServer: string;
  /** The venv's `cfn-lint` entry point. */
  readonly cfnLint: string;
}

export interface EnsureMotoOptions {
  /**
   * Directory that holds the venvs.
   * @default - `<repo>/.local-aws` (git-ignored)
   */
  readonly cacheDir?: string;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MARKER_FILE = '.moto-installed';

/** Whether `ensureMoto()` would find the venv ready (the benchmark reports a first install apart). */
export function motoInstalled(cacheDir = path.join(REPO_ROOT, '.local-aws')): boolean {
  return fs.existsSync(path.join(cacheDir, venvName(), MARKER_FILE));
}

function venvName(): string {
  return `venv-moto-${MOTO_VERSION}-cfn-lint-${CFN_LINT_VERSION}`;
}
const PYTHON_CANDIDATES = ['python3', 'python3.12', 'python3.11', 'python3.10'];
const INSTALL_TIMEOUT_MS = 15 * 60_000;
// A lock older than this belongs to an install that cannot still be running (pip has its own timeout).
const STALE_LOCK_MS = INSTALL_TIMEOUT_MS + 60_000;

/**
 * Provisions (once) a Python venv with the pinned `moto[server]` and returns where it is.
 *
 * The marker file is written only after pip and an import check succeed, so an install that was
 * interrupted (Ctrl-C, killed jest worker) is thrown away and redone on the next call. Jest runs
 * test files in parallel workers, so the install is serialised through a lock directory.
 */
export async function ensureMoto(options: EnsureMotoOptions = {}): Promise<MotoInstallation> {
  const cacheDir = options.cacheDir ?? path.join(REPO_ROOT, '.local-aws');
  const venvDir = path.join(cacheDir, venvName());
  const binDir = path.join(venvDir, process.platform === 'win32' ? 'Scripts' : 'bin');
  const installation: MotoInstallation = {
    version: MOTO_VERSION,
    venvDir,
    python: path.join(binDir, process.platform === 'win32' ? 'python.exe' : 'python'),
    motoServer: path.join(binDir, process.platform === 'win32' ? 'moto_server.exe' : 'moto_server'),
    cfnLint: path.join(binDir, process.platform === 'win32' ? 'cfn-lint.exe' : 'cfn-lint'),
  };
  const marker = path.join(venvDir, MARKER_FILE);
  if (fs.existsSync(marker)) {
    return installation;
  }

  fs.mkdirSync(cacheDir, { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`);
  try {
    // Another worker may have finished the install while we waited for the lock.
    if (fs.existsSync(marker)) {
      return installation;
    }
    fs.rmSync(venvDir, { recursive: true, force: true });
    const basePython = await findPython();
    await run(basePython, ['-m', 'venv', venvDir], 'create the Python venv');
    await run(
      installation.python,
      [
        '-m',
        'pip',
        'install',
        '--no-input',
        '--disable-pip-version-check',
        `moto[server]==${MOTO_VERSION}`,
        `cfn-lint==${CFN_LINT_VERSION}`,
      ],
      `install moto[server]==${MOTO_VERSION} and cfn-lint==${CFN_LINT_VERSION} (PyPI must be reachable)`,
    );
    const { stdout } = await run(
      installation.python,
      ['-c', 'import moto.server, cfnlint.version; print(moto.__version__, cfnlint.version.__version__)'],
      'import moto and cfn-lint',
    );
    if (stdout.trim() !== `${MOTO_VERSION} ${CFN_LINT_VERSION}`) {
      throw new Error(
        `expected moto ${MOTO_VERSION} and cfn-lint ${CFN_LINT_VERSION} in ${venvDir}, found ${stdout.trim()}`,
      );
    }
    fs.writeFileSync(
      marker,
      `moto ${MOTO_VERSION}, cfn-lint ${CFN_LINT_VERSION} installed ${new Date().toISOString()}\n`,
    );
    return installation;
  } finally {
    release();
  }
}

/** Finds a Python >= 3.10 that has the venv module (Debian ships it separately as python3-venv). */
async function findPython(): Promise<string> {
  const tried: string[] = [];
  for (const candidate of PYTHON_CANDIDATES) {
    try {
      const { stdout } = await execFileAsync(
        candidate,
        ['-c', 'import sys, venv, ensurepip; print("%d %d" % sys.version_info[:2])'],
        { timeout: 30_000 },
      );
      const [major, minor] = stdout.trim().split(' ').map(Number);
      if (major === 3 && minor >= 10) {
        return candidate;
      }
      tried.push(`${candidate} is ${major}.${minor}`);
    } catch (e) {
      tried.push(`${candidate}: ${firstLine(e)}`);
    }
  }
  throw new Error(
    `moto needs Python 3.10 or newer with the venv module, none found (${tried.join('; ')}). ` +
      'Install Python 3.10 or newer with the venv module (Debian: apt-get install python3 python3-venv).',
  );
}

async function run(command: string, args: string[], what: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, { timeout: INSTALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message?: string };
    const output = `${err.stderr ?? ''}${err.stdout ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`Could not ${what}: ${command} ${args.join(' ')} failed: ${err.message}\n${output}`);
  }
}

/** A cross-process lock: `mkdir` is atomic, and the owner's pid lets a crashed owner's lock be taken over. */
async function acquireLock(lockDir: string): Promise<() => void> {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    if (isStale(lockDir) || Date.now() > deadline) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function isStale(lockDir: string): boolean {
  try {
    const stat = fs.statSync(lockDir);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) {
      return true;
    }
    const pid = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    if (!pid) {
      // The owner has not written its pid yet; give it a moment before calling the lock stale.
      return Date.now() - stat.mtimeMs > 10_000;
    }
    process.kill(pid, 0);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ESRCH: the owner is gone. ENOENT: the lock vanished between our checks; just retry.
    return code === 'ESRCH';
  }
}

function firstLine(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr || err.message || String(e)).trim().split('\n')[0];
}
