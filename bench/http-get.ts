import http from 'node:http';

/**
 * One GET through `agent` (keep-alive), resolved once its 200 answer has been read whole; any other
 * status rejects with the start of its body. What every HTTP load generator of the bench sends.
 */
export function getOk(
  target: { host: string; port: number; path: string } | string,
  agent: http.Agent,
  headers: Record<string, string> = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = typeof target === 'string' ? { headers, agent } : { ...target, headers, agent };
    const onAnswer = (res: http.IncomingMessage) => {
      if (res.statusCode === 200) {
        res.resume(); // the hot path of every row: nothing read but the end
        res.on('end', () => resolve());
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 200)));
      res.on('end', () => reject(new Error(`${where(target)}: ${res.statusCode} ${body}`)));
    };
    const req = typeof target === 'string' ? http.get(target, options, onAnswer) : http.get(options, onAnswer);
    req.on('error', reject);
  });
}

const where = (target: { path: string } | string) => (typeof target === 'string' ? target : target.path);
