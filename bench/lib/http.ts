// One HTTP request on loopback with a bounded wait: checks and fixture building, not load.
import { Agent, request as httpRequest } from 'node:http';

const agent = new Agent({ keepAlive: false });

export interface Reply {
  status: number;
  body: string;
}

export function request(
  method: string,
  url: string,
  body?: string | Buffer,
  timeoutMs = 10_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POST JSON and parse the 200 answer; anything else is an error naming the status and body. */
export async function postJson<T>(url: string, body: string | Buffer): Promise<T> {
  const reply = await request('POST', url, body);
  if (reply.status !== 200) {
    throw new Error(`POST ${url}: ${reply.status} ${reply.body.slice(0, 500)}`);
  }
  return JSON.parse(reply.body) as T;
}
