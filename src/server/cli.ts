import { RoomKitError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { loadSecret } from './auth/secret.js';
import { TokenAuthority } from './auth/tokens.js';
import { type Command, parseCommandLine, type ServeCommand, USAGE, UsageError } from './cli-options.js';
import { openClusterParts } from './cluster-wiring.js';
import { type RunningServer, startServer } from './server.js';
import { exitOnShutdownSignals } from './shutdown.js';
import { describeIce } from './webrtc-ice.js';

export { parseCommandLine, USAGE, UsageError } from './cli-options.js';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

const processIO: CliIO = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
};

/**
 * The `roomkit` command. Returns the process exit code for commands that finish; `serve`
 * keeps running until SIGINT/SIGTERM. Usage errors: message and usage on stderr, code 2;
 * start-up failures (busy port, bad secret file): one line, code 1.
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number | RunningServer> {
  let command: Command;
  try {
    command = parseCommandLine(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`roomkit: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (command.command) {
      case 'help':
        io.out(USAGE);
        return 0;
      case 'version':
        io.out('0.1.0');
        return 0;
      case 'token': {
        const secret = loadSecret({ dbPath: command.dbPath, env: io.env });
        if (secret.source === 'ephemeral') {
          io.err('roomkit: token needs ROOMKIT_SECRET or a database file (the server must share the secret)');
          return 1;
        }
        const tokens = new TokenAuthority(secret.key);
        io.out(await tokens.issue({ user: command.user, rooms: command.rooms, expires: command.expires }));
        return 0;
      }
      case 'serve':
        return await serve(command, io);
    }
  } catch (error) {
    if (error instanceof RoomKitError) {
      io.err(`roomkit: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function serve(command: ServeCommand, io: CliIO): Promise<RunningServer> {
  // --store / --pubsub: PostgreSQL and Redis, checked before anything listens.
  const { store, pubsub } = await openClusterParts(command);
  const server = await startServer({
    port: command.port,
    host: command.host,
    dbPath: command.dbPath,
    store,
    pubsub,
    token: command.token,
    auth: command.auth,
    allowOrigins: command.allowOrigins,
    allowHosts: command.allowHosts,
    sip:
      command.sipPort === undefined ? undefined : { port: command.sipPort, registrar: command.sipRegistrar },
    otel: command.otel,
    voiceWorkers: command.voiceWorkers,
    voiceAdmission: command.voiceAdmission,
    webrtc: command.webrtc,
    // A server says what it does (start, connections, voice sessions) unless told otherwise.
    logger: createLogger('roomkit', io.env.ROOMKIT_LOG_LEVEL || 'info'),
  }).catch(async (error: unknown) => {
    // Open connections would keep the process alive after the error is printed.
    await Promise.allSettled([pubsub?.close(), store?.close()]);
    throw error;
  });
  const { agent, cluster } = server.info;
  const joined = cluster ? `, cluster: ${cluster.pubsub} as ${cluster.processId}` : '';
  io.out(
    `roomkit serve: ${server.url}  (store: ${server.info.store}, agent: ${agent.name}/${agent.model}${joined})`,
  );
  if (server.authRequired) {
    io.out(`Open the console: ${server.consoleUrl}`);
  } else {
    io.err(
      'WARNING: authentication is off (--no-auth): anyone who can reach this address can read and post in every room.',
    );
    io.out(`Open the console: ${server.url}/`);
  }
  if (command.sipPort !== undefined) {
    const sip = server.sip;
    if (sip) io.out(`SIP: phones can call sip:lobby@${command.host}:${sip.ports.udp} (UDP and TCP)`);
    // The outcome (registered, refused, retrying) is logged by the backend as it happens.
    if (sip && command.sipRegistrar)
      io.out(`SIP: registering as ${command.sipRegistrar.username} with ${command.sipRegistrar.registrar}`);
    else io.err('roomkit: --sip needs speech (GRADIUM_API_KEY, or pocketsphinx and flite installed); no SIP');
  }
  if (command.webrtc?.iceServers) {
    const { iceServers = [], turnCredentials } = describeIce(command.webrtc);
    if (server.info.voice || server.info.realtime) {
      const how = turnCredentials ? ` (TURN credentials: ${turnCredentials})` : '';
      io.out(`WebRTC ICE servers: ${iceServers.join(' ')}${how}`);
    } else io.err('roomkit: --ice-server has no effect: no speech, so no WebRTC talk path');
  }
  exitOnShutdownSignals(server, io.err);
  return server;
}
