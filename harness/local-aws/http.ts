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

/**
 * A GET to moto's Lambda API, parsed as JSON. The project has no Lambda SDK client; moto routes a request by
 * the service in its credential scope (it does not check signatures), so an Authorization header naming
 * `lambda` suffices.
 */
export function lambdaApiGet(
  endpoint: string,
  region: string,
  accessKeyId: string,
  path: string,
  timeoutMs = 5_000,
): Promise<any> {
  const scope = `${accessKeyId}/20260101/${region}/lambda/aws4_request`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${endpoint}${path}`,
      {
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        headers: { Authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=0` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${path}: HTTP ${response.statusCode} ${body}`));
          } else {
            resolve(JSON.parse(body));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on('error', reject);
    request.end();
  });
}
