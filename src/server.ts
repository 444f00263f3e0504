// The entry point: build the app, listen, and shut down gracefully on SIGTERM/SIGINT:
// /readyz fails first, the listener closes, in-flight calls finish, then the process exits.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createApp, defaultDeps } from './app.js';
import { ConfigError } from './config.js';
import { answerClientError, answerUnmetExpectation } from './http/client-errors.js';
import { connectionsCheckingInterval, trackConnections } from './http/connections.js';
import { readPair, reloadCertificates } from './http/tls-reload.js';
import { onceEvery } from './telemetry/once-every.js';

/** Headers take a client of the webhook milliseconds; one silent for a second may make room. */
const CONNECTION_REPLACE_AFTER_MS = 1_000;

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
  const { config, logger, metrics } = deps;
  const app = createApp(deps);
  const tlsFiles =
    config.tlsCertFile && config.tlsKeyFile
      ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }
      : undefined;
  const tls = tlsFiles ? readPair(tlsFiles) : undefined;
  // Node checks headersTimeout and requestTimeout only this often (30 s by default), so a
  // deadline of a few seconds would otherwise fire up to 30 s late.
  const options = {
    connectionsCheckingInterval: connectionsCheckingInterval(config.bodyReadTimeoutMs),
    // http/host-header.ts checks Host instead, in JSON, and counts a second one too.
    requireHostHeader: false,
  };
  const handle = app.callback();
  // A TLS handshake gets the deadline a request's headers get: a socket that connects and
  // never finishes it (silent, or a partial ClientHello) would otherwise be held for Node's
  // default two minutes, and hold a shutdown that long.
  const server: Server = tls
    ? createHttpsServer({ ...tls, ...options, handshakeTimeout: config.bodyReadTimeoutMs }, handle)
    : createHttpServer(options, handle);
  // With a listener, Node no longer answers `Expect: 100-continue` by itself: the body reader
  // sends 100 Continue only once the call passed every check it can pass before reading a body
  // (auth, in-flight bound, declared size), so a refused call is never invited to send its body.
  server.on('checkContinue', handle);
  server.on('checkExpectation', answerUnmetExpectation);
  if (tlsFiles && tls) {
    reloadCertificates(server as HttpsServer, tlsFiles, tls, config.tlsReloadMs, logger);
  }
  server.on('clientError', answerClientError);
  const warnAtBound = onceEvery(60_000);
  const atBound = (closed: 'a new connection' | 'the connection waiting longest') => {
    if (!warnAtBound()) return;
    logger.warn(
      { maxConnections: config.maxConnections },
      `PYLAMBDA_MAX_CONNECTIONS connections open: closed ${closed}; more within a minute are only counted (pylambda_refused_connections_total, pylambda_replaced_connections_total)`,
    );
  };
  const connections = trackConnections(
    server,
    { max: config.maxConnections, replaceAfterMs: CONNECTION_REPLACE_AFTER_MS },
    {
      opened: () => metrics.openConnections.inc(),
      closed: () => metrics.openConnections.dec(),
      refused: () => {
        metrics.refusedConnections.inc();
        atBound('a new connection');
      },
      replaced: () => {
        metrics.replacedConnections.inc();
        atBound('the connection waiting longest');
      },
    },
  );
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
        maxConnections: config.maxConnections,
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
      // A connection that never sent a whole request (silent, or stalled in its headers) is not
      // idle to Node and would hold the exit until the shutdown timeout.
      connections.destroyUnused();
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
