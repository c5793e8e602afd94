// Real Redis servers for the tests: each on a free loopback port, in a temporary folder of its own, stopped
// (and the folder removed) by `stop`. Nothing is mocked; without redis-server (see .ci/run) the tests fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when redis-server and redis-cli are installed. */
export const REDIS_INSTALLED = ['redis-server', 'redis-cli'].every((cmd) => spawnSync(cmd, ['--version']).status === 0);

/** A port free now, whose cluster bus port (port + 10000) is free too. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await listenOn(0);
    if (port + 10000 < 65536 && (await listenOn(port + 10000).catch(() => -1)) > 0) return port;
  }
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const got = (server.address() as { port: number }).port;
      server.close(() => resolve(got));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
  ) {}

  /** Starts redis-server with `args` (config directives as `--name value`) and waits until it answers. */
  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'spinvm-redis-'));
    const server = new RedisServer(await freePort(), dir, args);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server again (same port, folder and data files) after `kill`. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--protected-mode', 'no', '--logfile', 'redis.log', ...this.args],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let i = 0; i < 200; i++) {
      if (this.cli('PING').trim() === 'PONG' || this.cli('PING').includes('NOAUTH')) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server on port ${this.port} did not start (see ${this.dir}/redis.log)`);
  }

  /** redis-cli against this server; answers its output. */
  cli(...args: string[]): string {
    const out = spawnSync('redis-cli', ['-p', String(this.port), '--no-auth-warning', ...args], { encoding: 'utf8', timeout: 10_000 });
    return `${out.stdout ?? ''}${out.stderr ?? ''}`;
  }

  /** kill -9: no shutdown, no save. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGTERM');
      await this.exited;
      this.child = undefined;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of `masters` masters with one replica each, made with `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--appendonly', 'no'];
    const nodes = await Promise.all(Array.from({ length: masters * 2 }, () => RedisServer.start(args)));
    const cluster = new RedisCluster(nodes);
    const made = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (made.status !== 0) {
      await cluster.stop();
      throw new Error(`redis-cli --cluster create failed: ${made.stdout}${made.stderr}`);
    }
    await cluster.settled();
    return cluster;
  }

  /** Waits until every running node says the cluster is ok and every master has a replica in sync. */
  async settled(timeout = 30_000): Promise<void> {
    const until = Date.now() + timeout;
    while (Date.now() < until) {
      const running = this.nodes.filter((n) => n.running);
      const ok = running.every((n) => n.cli('CLUSTER', 'INFO').includes('cluster_state:ok'));
      const masters = running.filter((n) => n.cli('ROLE').startsWith('master'));
      const synced = masters.every(
        (m) => /connected_slaves:[1-9]/.test(m.cli('INFO', 'replication')) && !/state=(wait_bgsave|send_bulk)/.test(m.cli('INFO', 'replication')),
      );
      if (ok && synced) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the cluster did not settle');
  }

  get rootNodes(): Array<{ url: string }> {
    return this.nodes.map((n) => ({ url: n.url }));
  }

  /** The running node that is master of the slot of `key`. */
  masterOf(key: string): RedisServer {
    const slot = Number(
      this.nodes
        .find((n) => n.running)!
        .cli('CLUSTER', 'KEYSLOT', key)
        .trim(),
    );
    for (const n of this.nodes) {
      if (!n.running || !n.cli('ROLE').startsWith('master')) continue;
      const mine = n.cli('CLUSTER', 'MYID').trim();
      const line = n
        .cli('CLUSTER', 'NODES')
        .split('\n')
        .find((l) => l.startsWith(mine));
      const ranges = (line ?? '').split(' ').slice(8);
      if (ranges.some((r) => (r.includes('-') ? slot >= Number(r.split('-')[0]) && slot <= Number(r.split('-')[1]) : Number(r) === slot))) return n;
    }
    throw new Error(`no running master holds the slot of ${key}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
