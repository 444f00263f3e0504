// One HTTP request to the local runtime over loopback. node:http rather than fetch: it sends
// any method with or without a body, and gives the status line as the server wrote it.
import { request } from 'node:http';

export interface HttpCall {
  port: number;
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer | undefined;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  statusText: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export const LOOPBACK = '127.0.0.1';

export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: [string, string][] = [...call.headers];
    // Node adds no Host to headers given as an array, and the runtime refuses an HTTP/1.1
    // request without one (RFC 9112 §3.2), as it would from any client.
    if (!headers.some(([name]) => name.toLowerCase() === 'host')) {
      headers.unshift(['Host', `${LOOPBACK}:${call.port}`]);
    }
    if (call.body) headers.push(['Content-Length', String(call.body.length)]);
    const req = request(
      {
        host: LOOPBACK,
        port: call.port,
        method: call.method,
        path: call.path,
        // An array keeps repeated headers and their order.
        headers: headers.flat(),
        agent: false,
        timeout: call.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            httpVersion: res.httpVersion,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${call.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(call.body);
  });
}
