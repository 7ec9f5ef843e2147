import { ChildProcess, spawn } from 'node:child_process';
import { httpRequest } from './http';
import { MotoInstallation } from './moto-venv';

/**
 * Runs `moto_server` (argv[1:]) as its child and stops it when our stdin reaches EOF. The parent
 * Node process holds the write end of that pipe, and the kernel closes it however Node ends
 * (normal exit, crash, SIGKILL of a jest worker), so moto can never outlive the tests. SIGTERM to
 * the watchdog stops moto too. moto's own stdin is /dev/null so only the watchdog holds the pipe.
 * Signal handler and stdin thread only set an event: Popen.wait() is not reentrant, and calling it
 * from a handler that interrupted the main thread's wait() deadlocks.
 */
const WATCHDOG = `
import os, signal, subprocess, sys, threading
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
def watch_stdin():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    stop.set()
threading.Thread(target=watch_stdin, daemon=True).start()
while child.poll() is None and not stop.wait(0.2):
    pass
if child.poll() is None:
    child.terminate()
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
os._exit(0 if stop.is_set() else (child.returncode if child.returncode > 0 else 1))
`;

/** How much of moto's log is kept for error messages (it logs one line per request). */
const OUTPUT_LIMIT = 256 * 1024;
const STOP_GRACE_MS = 10_000;

/** One moto_server process (behind its watchdog) listening on 127.0.0.1:<port>. */
export class MotoProcess {
  /** Spawns moto behind the watchdog and waits until `/moto-api/` answers. */
  public static async start(moto: MotoInstallation, port: number, timeoutMs: number): Promise<MotoProcess> {
    const proc = new MotoProcess(moto, port);
    try {
      await proc.waitUntilReady(timeoutMs);
      return proc;
    } catch (e) {
      await proc.stop();
      throw e;
    }
  }

  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitStatus: string | undefined;
  private output = '';
  private outputTotal = 0;
  private stopping: Promise<void> | undefined;
  private readonly onProcessExit: () => void;
  private readonly onSignal: (signal: NodeJS.Signals) => void;

  private constructor(
    moto: MotoInstallation,
    public readonly port: number,
  ) {
    this.child = spawn(moto.python, ['-c', WATCHDOG, moto.motoServer, '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so stop() can take down watchdog and moto together if the watchdog hangs.
      detached: process.platform !== 'win32',
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitStatus = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.removeProcessHandlers();
        resolve();
      });
      this.child.once('error', (err) => {
        this.exitStatus = `failed to start: ${err.message}`;
        this.removeProcessHandlers();
        resolve();
      });
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.outputTotal += text.length;
      this.output = (this.output + text).slice(-OUTPUT_LIMIT);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    // A forgotten server must not keep jest (or a script) alive; the watchdog cleans up on exit.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    // Belt and braces for scripts. Inside jest these land on the sandbox's copy of `process` and do
    // not fire (checked with a real signal); there the watchdog's stdin EOF guarantees cleanup.
    this.onProcessExit = () => this.killGroup('SIGTERM');
    this.onSignal = (signal) => this.handleSignal(signal);
    process.on('exit', this.onProcessExit);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** The watchdog's pid (moto_server is its child, in the same process group). */
  public get pid(): number | undefined {
    return this.child.pid;
  }

  public get running(): boolean {
    return this.exitStatus === undefined;
  }

  /**
   * The tail of moto's combined stdout/stderr (request log, warnings, tracebacks), or only what was
   * logged after `since` (a {@link logMark}) as far as it is still kept.
   */
  public logs(since = 0): string {
    const kept = this.outputTotal - this.output.length;
    return this.output.slice(Math.max(0, since - kept));
  }

  /** A position in moto's log, for {@link logs}. */
  public logMark(): number {
    return this.outputTotal;
  }

  /** Stops moto and waits for it to be gone; safe to call any number of times. */
  public stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.running) {
      this.child.stdin?.end();
      this.child.kill('SIGTERM');
      if (!(await this.waitForExit(STOP_GRACE_MS))) {
        this.killGroup('SIGKILL');
        await this.waitForExit(STOP_GRACE_MS);
      }
    }
    this.removeProcessHandlers();
  }

  /** Waits for the watchdog to exit; the ref'd timer keeps Node alive meanwhile (the child is unref'd). */
  private async waitForExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return exited;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = `http://localhost:${this.port}/moto-api/`;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`moto_server on port ${this.port} ${this.exitStatus} before it was ready:\n${this.logs()}`);
      }
      try {
        const res = await httpRequest('GET', url, 2_000);
        if (res.status === 200) {
          return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`moto_server did not answer ${url} within ${timeoutMs} ms:\n${this.logs()}`);
  }

  private handleSignal(signal: NodeJS.Signals): void {
    this.killGroup('SIGTERM');
    this.removeProcessHandlers();
    // Our listener suppressed Node's default action; restore it when nobody else handles the signal.
    if (process.listenerCount(signal) === 0) {
      process.kill(process.pid, signal);
    }
  }

  private killGroup(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) {
      return;
    }
    try {
      process.kill(process.platform === 'win32' ? this.child.pid : -this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private removeProcessHandlers(): void {
    process.off('exit', this.onProcessExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
