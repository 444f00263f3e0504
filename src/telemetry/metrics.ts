// Prometheus metrics of the webhook, on a registry of its own so that several apps (tests) never clash.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  hookCalls: Counter<'hook' | 'code'>;
  hookErrors: Counter<'hook' | 'reason'>;
  hookDuration: Histogram<'hook'>;
  inflight: Gauge;
  notModified: Counter<'hook'>;
  cacheHits: Counter<'hook'>;
  openConnections: Gauge;
  refusedConnections: Counter;
  replacedConnections: Counter;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    hookCalls: new Counter({
      name: 'pylambda_hook_requests_total',
      help: 'Hook calls by hook and HTTP status code.',
      labelNames: ['hook', 'code'],
      registers: [registry],
    }),
    hookErrors: new Counter({
      name: 'pylambda_hook_errors_total',
      help: 'Hook calls that were not answered 200, by hook and reason.',
      labelNames: ['hook', 'reason'],
      registers: [registry],
    }),
    hookDuration: new Histogram({
      name: 'pylambda_hook_duration_seconds',
      help: 'Time to answer a hook call once its body is parsed: validation, the hook, encoding.',
      labelNames: ['hook'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    inflight: new Gauge({
      name: 'pylambda_hook_inflight',
      help: 'Hook calls in progress.',
      registers: [registry],
    }),
    notModified: new Counter({
      name: 'pylambda_hook_not_modified_total',
      help: 'Hook calls answered 304 Not Modified (ETag matched).',
      labelNames: ['hook'],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: 'pylambda_hook_cache_hits_total',
      help: 'Hook calls answered from the response cache (same request bytes as an earlier 200).',
      labelNames: ['hook'],
      registers: [registry],
    }),
    openConnections: new Gauge({
      name: 'pylambda_open_connections',
      help: 'Client connections open now, TLS handshakes included.',
      registers: [registry],
    }),
    refusedConnections: new Counter({
      name: 'pylambda_refused_connections_total',
      help: 'Connections closed at once because PYLAMBDA_MAX_CONNECTIONS were open and none could be replaced.',
      registers: [registry],
    }),
    replacedConnections: new Counter({
      name: 'pylambda_replaced_connections_total',
      help: 'Connections waiting for a request closed to make room for a new one at PYLAMBDA_MAX_CONNECTIONS.',
      registers: [registry],
    }),
  };
}
