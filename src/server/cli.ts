import { startServer } from './server.js';

const HELP = `roomkit — multi-channel conversation rooms

Usage:
  roomkit serve [--port 8080] [--host 127.0.0.1] [--db ./roomkit.db] [--token SECRET]
  roomkit --help | --version

serve   HTTP + WebSocket server with the web console. The agent is Anthropic when
        ANTHROPIC_API_KEY is set, OpenAI when OPENAI_API_KEY is set, else a local
        rule-based agent. Env: PORT, HOST, ROOMKIT_DB, ROOMKIT_TOKEN, ROOMKIT_LOG_LEVEL.
`;

export function parseArgs(argv: string[]): { command?: string; flags: Record<string, string> } {
  const flags: Record<string, string> = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) flags[key] = inline;
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags[key] = argv[++i]!;
      else flags[key] = 'true';
    } else if (!command) {
      command = arg;
    } else {
      throw new Error(`unexpected argument: ${arg}`);
    }
  }
  return { command, flags };
}

export async function main(argv: string[]): Promise<void> {
  const { command, flags } = parseArgs(argv);
  if (flags.version) return void console.log('0.1.0');
  if (flags.help || !command) return void console.log(HELP);
  if (command !== 'serve') throw new Error(`unknown command: ${command}\n\n${HELP}`);
  const port = Number(flags.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port: ${flags.port}`);
  const server = await startServer({
    port,
    host: flags.host ?? process.env.HOST ?? '127.0.0.1',
    dbPath: flags.db ?? process.env.ROOMKIT_DB ?? './roomkit.db',
    token: flags.token ?? process.env.ROOMKIT_TOKEN,
  });
  const agent = (await (
    await fetch(`${server.url}/api/info`, authHeader(flags.token ?? process.env.ROOMKIT_TOKEN))
  ).json()) as {
    agent: { name: string; model: string };
  };
  console.log(
    `roomkit serve: ${server.url}  (store: ${server.kit.store.name}, agent: ${agent.agent.name}/${agent.agent.model})`,
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function authHeader(token?: string): RequestInit {
  return token ? { headers: { authorization: `Bearer ${token}` } } : {};
}
