import { InvalidArgumentError, SpinVmError } from '../../vmcore/index.js';
import { RedisPager } from './redis-pager.js';
import { RedisReplicationError, RedisRequestError, RedisUnavailableError } from './errors.js';

/**
 * A connection to Redis (one server, or a Redis Cluster) that Redis pagers share, and the key layout.
 *
 * Keys: page `p` of the object named `ns` is `prefix:{ns:e}:p`, where `e = floor(p / extentPages)`. The
 * part in braces is Redis Cluster's hash tag, so the pages of one extent share a hash slot: a run within an
 * extent is one MGET or one pipeline on one node, while extents spread over the cluster's nodes.
 *
 * Invariants:
 * - The pages of one request lie in one extent: every request goes to one node, on one connection, so a
 *   WAIT sent after a page-out's writes counts the replicas that hold those writes.
 * - A write that timed out may still reach Redis later; the next write of any of its keys waits until it
 *   has settled, so an older page never lands after a newer one (`inDoubt`).
 * - No password reaches a message or an event: every text from the client goes through `redact`.
 */
/**
 * node-redis's `createClient` options (`RedisClientOptions`), passed through as given. Declared here rather
 * than imported from 'redis', so that spinvm's types load without the optional package installed.
 */
export interface RedisConnectionOptions {
  /** `redis[s]://[[username][:password]@][host][:port][/db-number]`; `rediss:` is TLS. */
  url?: string;
  username?: string;
  password?: string;
  database?: number;
  /** Net or TLS socket options: `host`, `port`, `tls: true`, `ca`, `cert`, `key`, `reconnectStrategy`... */
  socket?: Record<string, unknown>;
  /** Any other option node-redis takes. */
  [option: string]: unknown;
}

/** node-redis's `createCluster` options (`RedisClusterOptions`), passed through as given. */
export interface RedisClusterConnectionOptions {
  /** Some of the cluster's nodes; the rest are discovered. */
  rootNodes: RedisConnectionOptions[];
  /** Options for every node's connection: credentials and TLS. */
  defaults?: RedisConnectionOptions;
  /** Any other option node-redis takes. */
  [option: string]: unknown;
}

export interface RedisStoreOptions {
  /**
   * One server: node-redis's `createClient` options, passed through (`url` such as
   * `redis://user:secret@host:6379` or `rediss://...` for TLS, `username`, `password`, `socket: { tls, ca,
   * ... }`, `database`). Default: a server on localhost:6379.
   */
  client?: RedisConnectionOptions;
  /**
   * A Redis Cluster: node-redis's `createCluster` options, passed through (`rootNodes`, and `defaults` for the
   * credentials and TLS of every node). Given, `client` must not be.
   */
  cluster?: RedisClusterConnectionOptions;
  /** The first part of every key, so several programs can share a database. Default 'spinvm'. */
  prefix?: string;
  /** Pages per extent (one hash tag): the longest run one request reads or writes. Default 64. */
  extentPages?: number;
  /** The most pages one page-in brings (read-ahead on sequential faults); at most `extentPages`. Default 16. */
  readAhead?: number;
  /** Replicas that must acknowledge a page-out (WAIT) before it counts. Default 0: the master's word. */
  replicas?: number;
  /** Milliseconds WAIT gives the replicas. Default 1000. */
  replicaTimeout?: number;
  /** Milliseconds a request (or the connection at start) may take before it fails as timed out. Default 5000. */
  timeout?: number;
}

/** What the store tells listeners: a connection error (already redacted), or a reconnect. */
export type RedisStoreEvent = { type: 'error'; error: RedisRequestError } | { type: 'reconnecting' } | { type: 'ready' };

/** One argument list, as sent: a command and its keys and values. */
export type RedisCommand = ReadonlyArray<string | Buffer>;

/** What this file needs of a node-redis client or cluster: both send raw commands. */
interface Link {
  /** Each master's own client, for what must visit every node (SCAN). */
  masters(): Promise<Array<{ sendCommand(args: RedisCommand, options?: { timeout: number }): Promise<unknown> }>>;
  send(routeKey: string, args: RedisCommand, readonly: boolean, timeout: number): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The optional peer dependency: node-redis. */
const REDIS_PACKAGE = 'redis';
const KEYS = ['client', 'cluster', 'prefix', 'extentPages', 'readAhead', 'replicas', 'replicaTimeout', 'timeout'];
const noop = (): void => {};

export class RedisStore {
  readonly prefix: string;
  readonly extentPages: number;
  readonly readAhead: number;
  readonly replicas: number;
  readonly replicaTimeout: number;
  readonly timeout: number;
  /** True when connected to a Redis Cluster. */
  readonly clustered: boolean;
  private closed = false;
  private readonly listeners = new Set<(event: RedisStoreEvent) => void>();
  /** Keys whose last write timed out, with that write's settling: the next write of the key waits for it. */
  private readonly inDoubt = new Map<string, Promise<void>>();
  private anonymous = 0;
  private readonly instance = `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  private constructor(
    private readonly link: Link,
    private readonly secrets: readonly string[],
    options: Required<Omit<RedisStoreOptions, 'client' | 'cluster'>>,
    clustered: boolean,
  ) {
    this.prefix = options.prefix;
    this.extentPages = options.extentPages;
    this.readAhead = options.readAhead;
    this.replicas = options.replicas;
    this.replicaTimeout = options.replicaTimeout;
    this.timeout = options.timeout;
    this.clustered = clustered;
  }

  /** Connects to Redis (one server or a cluster); throws RedisRequestError if it cannot within `timeout`. */
  static async connect(options: RedisStoreOptions = {}): Promise<RedisStore> {
    const o = checkOptions(options);
    const secrets = secretsOf(options);
    let redis: typeof import('redis');
    try {
      // A computed specifier: an optional peer dependency, loaded only here, never by importing spinvm.
      redis = (await import(REDIS_PACKAGE)) as typeof import('redis');
    } catch (err) {
      throw new RedisUnavailableError(err);
    }
    const buffers = { [redis.RESP_TYPES.BLOB_STRING]: Buffer };
    let link: Link | undefined;
    let connecting: Promise<unknown> | undefined;
    try {
      if (options.cluster) {
        const cluster = redis.createCluster(options.cluster as never).withTypeMapping(buffers);
        link = {
          masters: () => Promise.all(cluster.masters.map((m) => cluster.nodeClient(m))) as never,
          send: (routeKey, args, readonly, timeout) => cluster.sendCommand(routeKey, readonly, args as never, { timeout }),
          close: () => cluster.close(),
          destroy: () => cluster.destroy(),
          on: (event, listener) => cluster.on(event as never, listener),
        };
        connecting = cluster.connect();
      } else {
        const client = redis.createClient((options.client ?? {}) as never).withTypeMapping(buffers);
        link = {
          masters: () => Promise.resolve([client]) as never,
          send: (_routeKey, args, _readonly, timeout) => client.sendCommand(args as never, { timeout }),
          close: () => client.close(),
          destroy: () => client.destroy(),
          on: (event, listener) => client.on(event as never, listener),
        };
        connecting = client.connect();
      }
    } catch (err) {
      // A bad option (an unknown URL scheme, say): the client's message may quote the URL, password and all.
      link?.destroy();
      throw new RedisRequestError('connect', '', false, redact(secrets, err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
    }
    // Settles after a timeout too, once the client is destroyed: nobody waits for it then.
    connecting.catch(noop);
    const store = new RedisStore(link, secrets, o, options.cluster !== undefined);
    // An 'error' event nobody listens to would end the process: every one is redacted and passed on.
    link.on('error', (err: unknown) => store.emit({ type: 'error', error: store.failure('connection', '', err) }));
    link.on('reconnecting', () => store.emit({ type: 'reconnecting' }));
    link.on('ready', () => store.emit({ type: 'ready' }));
    try {
      await withTimeout(connecting, o.timeout);
    } catch (err) {
      link.destroy();
      throw store.failure('connect', '', err);
    }
    return store;
  }

  /** Listens to the connection's errors and reconnects; answers the function that stops listening. */
  on(listener: (event: RedisStoreEvent) => void): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', listener, 'a function');
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Closes the connection once the requests sent have been answered. Pagers over the store fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.close().catch(() => this.link.destroy());
  }

  /**
   * A pager for the persistent object named `name`: what it pages out stays in Redis after the object is
   * destroyed, and a pager made later (in this process or another) with the same name reads it back.
   * `vm.createMemoryObject({ size, pager: store.pager('name') })`.
   */
  pager(name: string): RedisPager {
    if (typeof name !== 'string') throw new InvalidArgumentError('name', name, 'a string');
    return new RedisPager(this, name);
  }

  /**
   * Deletes every page of the named object (its keys on every master, found by SCAN); answers how many
   * there were. No pager may be using the object meanwhile.
   */
  async remove(name: string): Promise<number> {
    if (typeof name !== 'string' || name === '' || /[{}]/.test(name)) throw new InvalidArgumentError('name', name, 'the name of a named object');
    // SCAN's pattern is a glob: the name's own * ? [ ] \ match only themselves.
    const pattern = `${this.prefix}:{${name.replace(/[*?[\]\\]/g, '\\$&')}:*`;
    if (this.closed) throw new RedisRequestError('SCAN', '', false, 'the store is closed');
    let removed = 0;
    try {
      for (const node of await withTimeout(this.link.masters(), this.timeout)) {
        let cursor = '0';
        do {
          const [next, keys] = (await withTimeout(node.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']), this.timeout)) as [Buffer, Buffer[]];
          cursor = next.toString();
          // Keys of one extent share a slot: each DEL carries one extent's keys.
          const byTag = new Map<string, string[]>();
          for (const key of keys.map(String)) {
            const tag = key.slice(0, key.indexOf('}') + 1);
            byTag.set(tag, [...(byTag.get(tag) ?? []), key]);
          }
          for (const group of byTag.values())
            removed += Number(await withTimeout(node.sendCommand(['DEL', ...group], { timeout: this.timeout }), this.timeout));
        } while (cursor !== '0');
      }
    } catch (err) {
      throw this.failure('SCAN', pattern, err);
    }
    return removed;
  }

  /** The key of page `page` of the object whose namespace is `ns`. */
  key(ns: string, page: number): string {
    return `${this.prefix}:{${ns}:${Math.floor(page / this.extentPages)}}:${page}`;
  }

  /** @internal A namespace no other object (in any process) has: for an anonymous object. */
  freshNamespace(): string {
    return `anon-${this.instance}-${(this.anonymous++).toString(36)}`;
  }

  /**
   * @internal Sends `commands` to the node holding `routeKey`, in one write of the connection (a pipeline),
   * and answers their replies; throws RedisRequestError. With `writes`, the keys those commands write: a
   * write of a key still in doubt waits first, and on a timeout these keys are in doubt.
   */
  async request(routeKey: string, commands: readonly RedisCommand[], writes?: readonly string[]): Promise<unknown[]> {
    const name = String(commands[0]?.[0] ?? '');
    if (this.closed) throw new RedisRequestError(name, routeKey, false, 'the store is closed');
    const deadline = Date.now() + this.timeout;
    if (writes && this.inDoubt.size > 0) {
      const earlier = writes.map((k) => this.inDoubt.get(k)).filter((p) => p !== undefined);
      if (earlier.length > 0) {
        try {
          await withTimeout(Promise.all(earlier), this.timeout);
        } catch (err) {
          throw this.failure(name, routeKey, err);
        }
      }
    }
    const readonly = writes === undefined;
    // Issued in one turn: node-redis writes them to the socket together, and they reach one node.
    const sent = Promise.all(commands.map((args) => this.link.send(routeKey, args, readonly, this.timeout)));
    try {
      return await withTimeout(sent, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (writes && err instanceof TimedOut) {
        const settled = sent.then(noop, noop);
        for (const k of writes) {
          const p = settled.then(() => void (this.inDoubt.get(k) === p && this.inDoubt.delete(k)));
          this.inDoubt.set(k, p);
        }
      }
      throw this.failure(name, routeKey, err);
    }
  }

  /** @internal Throws RedisReplicationError unless WAIT's `reply` counts at least `replicas` replicas. */
  checkReplicas(key: string, reply: unknown): void {
    const acknowledged = Number(reply);
    if (!(acknowledged >= this.replicas)) throw new RedisReplicationError(key, this.replicas, acknowledged, this.replicaTimeout);
  }

  /** A RedisRequestError for `err`, with every password the options hold cut out. */
  private failure(command: string, key: string, err: unknown): RedisRequestError {
    if (err instanceof RedisRequestError) return err;
    const timedOut = err instanceof TimedOut || (err instanceof Error && err.name === 'TimeoutError');
    const detail = timedOut ? `no answer within ${this.timeout} ms` : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return new RedisRequestError(command, key, timedOut, this.redact(detail));
  }

  private redact(text: string): string {
    return redact(this.secrets, text);
  }

  private emit(event: RedisStoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the connection goes on.
      }
    }
  }
}

/** `text` with every secret replaced by ***. */
function redact(secrets: readonly string[], text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/** A timer ran out before the promise settled. */
class TimedOut extends SpinVmError {
  override readonly code = 'SPINVM_REDIS_TIMED_OUT';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function checkOptions(options: RedisStoreOptions): Required<Omit<RedisStoreOptions, 'client' | 'cluster'>> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new InvalidArgumentError('options', options, 'an options object');
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new InvalidArgumentError(`options.${key}`, '(hidden)', `absent (known options: ${KEYS.join(', ')})`);
  }
  const o = options;
  if (o.client !== undefined && o.cluster !== undefined) throw new InvalidArgumentError('options.cluster', '(hidden)', 'absent when options.client is given');
  for (const k of ['client', 'cluster'] as const) {
    // The value may hold a password: it is never shown.
    if (o[k] !== undefined && (typeof o[k] !== 'object' || o[k] === null))
      throw new InvalidArgumentError(`options.${k}`, typeof o[k], "node-redis's options object");
  }
  const prefix = o.prefix ?? 'spinvm';
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix) || prefix.length > 100) {
    throw new InvalidArgumentError('options.prefix', prefix, 'a non-empty string of at most 100 characters without { or }');
  }
  const extentPages = integer('options.extentPages', o.extentPages ?? 64, 1, 4096);
  const readAhead = integer('options.readAhead', o.readAhead ?? Math.min(16, extentPages), 1, extentPages);
  const replicas = integer('options.replicas', o.replicas ?? 0, 0, 1000);
  const replicaTimeout = integer('options.replicaTimeout', o.replicaTimeout ?? 1000, 1, 3_600_000);
  const timeout = integer('options.timeout', o.timeout ?? 5000, 1, 3_600_000);
  return { prefix, extentPages, readAhead, replicas, replicaTimeout, timeout };
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** Every password the options hold (as given, and as it appears in URLs, percent-encoded or not). */
function secretsOf(options: RedisStoreOptions): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && /password|secret|passphrase|token/i.test(k) && v !== '') found.add(v);
      else if (typeof v === 'string' && k === 'url') {
        try {
          const url = new URL(v);
          if (url.password) {
            found.add(url.password);
            found.add(decodeURIComponent(url.password));
          }
        } catch {
          // Not a URL: node-redis will say so, and it holds no password we can find.
        }
      } else visit(v, depth + 1);
    }
  };
  visit(options, 0);
  return [...found].sort((a, b) => b.length - a.length);
}
