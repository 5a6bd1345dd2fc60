import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type CliChild, ROOT, startCli } from '../server/fixtures/cli-process.js';
import { RoomClient } from './room-client.js';
import { DATABASE_URL, dropSchema, REDIS_URL, uniqueName } from './services.js';

/**
 * N `roomkit serve` processes (bin/roomkit.js) on loopback forming one cluster: one PostgreSQL schema and one
 * Redis prefix of their own (random names, dropped afterwards), one shared ROOMKIT_SECRET, the
 * agent pointed at a fake model server. Every wait is bounded; `stop()` kills whatever is left.
 */
export interface ServeNode {
  index: number;
  child: CliChild;
  url: string;
  /** The console token this process printed (an admin token valid on every process). */
  token: string;
  wsUrl: string;
}

export interface ClusterEnv {
  /** Environment for every process (model keys and endpoints, log level...). */
  env?: NodeJS.ProcessEnv;
  /** Redis URL (default the machine's): a PrivateRedis for fault tests. */
  redisUrl?: string;
  /** PostgreSQL URL (default the machine's): a TcpProxy in front of it for fault tests. */
  databaseUrl?: string;
  extraArgs?: string[];
}

export class ServeCluster {
  readonly schema = uniqueName('rk_cluster');
  readonly prefix = uniqueName('rk');
  readonly secret = randomBytes(24).toString('base64url');
  readonly nodes: (ServeNode | undefined)[] = [];
  private readonly children: CliChild[] = [];
  private readonly clients: RoomClient[] = [];

  constructor(private readonly opts: ClusterEnv = {}) {}

  get storeUrl(): string {
    const url = new URL(this.opts.databaseUrl ?? DATABASE_URL);
    url.searchParams.set('schema', this.schema);
    return url.toString();
  }

  get pubsubUrl(): string {
    const url = new URL(this.opts.redisUrl ?? REDIS_URL);
    url.searchParams.set('prefix', this.prefix);
    return url.toString();
  }

  /** Start `count` processes at once (as a deployment would) and wait until each listens. */
  async start(count: number): Promise<ServeNode[]> {
    const started = await Promise.all(Array.from({ length: count }, () => this.spawn()));
    return started;
  }

  /** One more process (a restart, a scale-out). */
  async spawn(): Promise<ServeNode> {
    const index = this.nodes.length;
    this.nodes.push(undefined);
    const child = startCli(
      [
        'serve',
        '--port',
        '0',
        '--store',
        this.storeUrl,
        '--pubsub',
        this.pubsubUrl,
        ...(this.opts.extraArgs ?? []),
      ],
      {
        ROOMKIT_SECRET: this.secret,
        ANTHROPIC_API_KEY: '',
        OPENAI_API_KEY: '',
        GRADIUM_API_KEY: '',
        ...this.opts.env,
      },
      // The compiled CLI (CI builds it first): three processes start in about a second each.
      { file: process.execPath, args: [join(ROOT, 'bin', 'roomkit.js')] },
    );
    this.children.push(child);
    const [, url] = await child.waitFor(/roomkit serve: (http:\/\/[^\s]+)/, 60_000);
    const [, token] = await child.waitFor(/\?token=([^\s]+)/, 10_000);
    const node: ServeNode = {
      index,
      child,
      url: url!,
      token: decodeURIComponent(token!),
      wsUrl: `${url!.replace('http', 'ws')}/ws?token=${token}`,
    };
    this.nodes[index] = node;
    return node;
  }

  /** kill -9 one process (nothing flushed, no goodbye to the others). */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node) return;
    this.nodes[index] = undefined;
    node.child.process.kill('SIGKILL');
    await node.child.exited(5000);
  }

  async api(node: ServeNode, path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${node.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json', ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** POST /api/rooms through one process (its creator uses it first, so it owns it). */
  async createRoom(node: ServeNode, roomId: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await this.api(node, '/api/rooms', {
      method: 'POST',
      body: JSON.stringify({ roomId, ...extra }),
    });
    if (res.status !== 201) throw new Error(`creating ${roomId}: HTTP ${res.status} ${await res.text()}`);
  }

  /** A chat client of one room connected to one process (closed by `stop()`). */
  async client(node: ServeNode, name: string, roomId: string): Promise<RoomClient> {
    const c = new RoomClient(name, roomId);
    this.clients.push(c);
    await c.connect(node.wsUrl, node.url);
    return c;
  }

  /** Rooms this process owns (GET /api/cluster). */
  async owned(node: ServeNode): Promise<string[]> {
    const res = await this.api(node, '/api/cluster');
    return ((await res.json()) as { ownedRooms: string[] }).ownedRooms;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    for (const child of this.children) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    }
    await Promise.all(this.children.map((c) => c.exited(5000)));
    await dropSchema(this.schema);
  }
}
