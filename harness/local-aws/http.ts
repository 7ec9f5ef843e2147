import * as http from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * A minimal HTTP call for moto's own API (`/moto-api/...`). node:http rather than `fetch` because
 * jest's test environment does not reliably expose Node's global `fetch`.
 */
export function httpRequest(method: string, url: string, timeoutMs = 5_000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
