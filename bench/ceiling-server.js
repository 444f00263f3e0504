// The ceiling: the least a Node hook server must do per request it has not answered before.
// Bare node:http reads the body, JSON.parses it, and answers with bytes computed before the
// run: our service's own answer to the same request, so both send the same response. (Our
// service answers a request it has seen from its response cache without parsing it; the
// benchmark also runs it with the cache off, which is the comparison with this server on
// every call.)
//
//   PORT=8090 BENCH_RESPONSES=.cache/bench/responses node bench/ceiling-server.js
//
// BENCH_RESPONSES holds one `<case>.json` per request; a request names its case in the query
// (`POST /hooks/pythonlambda/sync?case=realistic`), which every server under test ignores.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import process from 'node:process';

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? '127.0.0.1';
const directory = process.env.BENCH_RESPONSES;
if (!directory) {
  process.stderr.write('BENCH_RESPONSES must name a folder of <case>.json responses\n');
  process.exit(2);
}

const responses = new Map();
for (const file of readdirSync(directory).filter((f) => f.endsWith('.json'))) {
  responses.set(basename(file, '.json'), readFileSync(join(directory, file)));
}
const notFound = Buffer.from('{"error":"unknown case"}');

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    send(res, 200, Buffer.from('{"status":"ok"}'));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(res, 400, Buffer.from('{"error":"invalid JSON"}'));
      return;
    }
    const query = req.url.indexOf('?case=');
    const response = query < 0 ? undefined : responses.get(req.url.slice(query + 6));
    if (response) send(res, 200, response);
    else send(res, 404, notFound);
  });
});
// As our service does: stay above the client's idle timeout.
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  process.stdout.write(`ceiling listening on ${host}:${port} with ${responses.size} responses\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
