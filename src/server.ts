// The entry point: build the app, listen, and shut down gracefully on SIGTERM/SIGINT:
// /readyz fails first, the listener closes, in-flight calls finish, then the process exits.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createApp, defaultDeps } from './app.js';
import { ConfigError } from './config.js';

function start(): void {
  let deps;
  try {
    deps = defaultDeps();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: err.message })}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { config, logger } = deps;
  const app = createApp(deps);
  const tls =
    config.tlsCertFile && config.tlsKeyFile
      ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
      : undefined;
  const server: Server = tls
    ? createHttpsServer(tls, app.callback())
    : createHttpServer(app.callback());
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(
      {
        host: config.host,
        port,
        tls: !!tls,
        auth: !!deps.authToken,
        maxInflight: config.maxInflight,
      },
      'pylambda webhook listening',
    );
  });
  // Metacontroller's Go client keeps idle connections for 90 s (http.DefaultTransport). Close
  // ours later than that, so it never sends a call down a socket we are closing.
  server.keepAliveTimeout = 95_000;
  // Headers get the deadline a body gets (json-body.ts); the whole request a backstop past both
  // (Node's default is five minutes). Neither counts the time a kept-alive socket sits idle.
  server.headersTimeout = config.bodyReadTimeoutMs;
  server.requestTimeout = 2 * config.bodyReadTimeoutMs + 1_000;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.pylambda.draining = true;
    logger.info({ signal, delayMs: config.shutdownDelayMs }, 'shutting down: readiness now fails');
    setTimeout(() => {
      server.close(() => {
        logger.info('all in-flight calls finished; exiting');
        process.exit(0);
      });
      server.closeIdleConnections();
      setTimeout(() => {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          'in-flight calls still running at the shutdown timeout; exiting',
        );
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    }, config.shutdownDelayMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

start();
