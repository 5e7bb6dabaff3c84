import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../../platform/logging';

/**
 * The launcher's supervisor: it runs each service as a child process, knows it is ready by asking its health
 * route, and starts it again when it exits without being asked to. One service that fails (a subgraph whose
 * database is late past its start-up deadline, a crash) never stops the others: the gateway serves every
 * other agency meanwhile, as it does in a cluster where an orchestrator restarts what stopped.
 *
 * A service that exits again before it was ever ready waits twice as long before each new start (from one
 * second up to half a minute), so a service that cannot start fills the terminal slowly; once it has been
 * ready, the next restart comes after the shortest wait again.
 */
export interface ServiceSpec {
  name: string;
  /** Arguments to node: the entry and its flags. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Answers 200 when the service is ready (a subgraph's /health, the gateway's /ready). */
  readyUrl: string;
}

export interface Backoff {
  firstMs: number;
  maxMs: number;
}

const DEFAULT_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000 };
const POLL_MS = 200;

export class Service {
  /** How many times the service was started again after it exited. */
  restarts = 0;
  private child: ChildProcess | undefined;
  private ready = false;
  private waitMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly readyWaiters: Array<() => void> = [];

  constructor(
    readonly spec: ServiceSpec,
    private readonly supervisor: Supervisor,
  ) {
    this.waitMs = supervisor.backoff.firstMs;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves once the service has answered its ready route, at any start; never rejects. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  start(): void {
    const { name, args, env } = this.spec;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.ready = false;
    // Each child writes its own log lines; what it writes to standard error (a crash before its logger
    // exists) is prefixed with its name.
    createInterface({ input: child.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
    createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    void this.watchReadiness(child);
  }

  /** Stops the service (SIGTERM, then waits for it to exit) and keeps it stopped. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.supervisor.stopping || child !== this.child) return;
    const wasReady = this.ready;
    this.ready = false;
    if (wasReady) this.waitMs = this.supervisor.backoff.firstMs;
    const waitMs = this.waitMs;
    this.waitMs = Math.min(this.waitMs * 2, this.supervisor.backoff.maxMs);
    this.supervisor.logger.error(
      { service: this.spec.name, code, signal, restartInMs: waitMs },
      `${this.spec.name} stopped (${signal ?? `exit code ${code}`}) ${wasReady ? 'while serving' : 'before it was ready'}; ` +
        `starting it again in ${waitMs / 1000} s. The gateway serves the rest meanwhile.`,
    );
    this.restartTimer = setTimeout(() => {
      if (this.supervisor.stopping) return;
      this.restarts += 1;
      this.start();
    }, waitMs);
  }

  /** Asks the ready route of this start of the service until it answers 200 or the child exits. */
  private async watchReadiness(child: ChildProcess): Promise<void> {
    while (child === this.child && child.exitCode === null && child.signalCode === null && !this.supervisor.stopping) {
      try {
        const response = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok && child === this.child && child.exitCode === null) {
          this.becameReady();
          return;
        }
      } catch {
        // Not listening yet, or not answering in time: ask again.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private becameReady(): void {
    this.ready = true;
    if (this.restarts > 0) this.supervisor.logger.info({ service: this.spec.name, restarts: this.restarts }, `${this.spec.name} is ready again`);
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }
}

export class Supervisor {
  stopping = false;
  private readonly services: Service[] = [];

  constructor(
    readonly logger: Logger,
    readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {}

  start(spec: ServiceSpec): Service {
    const service = new Service(spec, this);
    this.services.push(service);
    service.start();
    return service;
  }

  /**
   * Waits until every service is ready or `timeoutMs` has passed, and says which are not ready yet; those go
   * on starting (and are restarted) all the same.
   */
  async waitForReady(timeoutMs: number): Promise<{ notReady: string[] }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(this.services.map((service) => service.whenReady())), timeout]);
    clearTimeout(timer);
    return { notReady: this.services.filter((service) => !service.isReady).map((service) => service.spec.name) };
  }

  /** Stops every service, none restarted. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.services.map((service) => service.stop()));
  }
}
