import http from 'node:http';
import { getOk } from './http-get';
import { atRate, load } from './stats';

/**
 * An open-loop load generator in a process of its own: `rate` GETs a second of one URL, each timed
 * from its scheduled start, for `rounds` rounds of `seconds`; one JSON line per round on stdout.
 * Its own process, so the bench process's heap (hundreds of MB after the other sections) and its
 * collector's pauses are not counted as the server's latency.
 */
interface OpenLoopArgs {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  rounds: number;
}

async function main(): Promise<void> {
  const { url, headers, rate, seconds, rounds } = JSON.parse(process.argv[2]) as OpenLoopArgs;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const get = () => getOk(url, agent, headers);
  await load(500, 16, get); // warm-up: connections open, the server's code paths compiled
  for (let round = 0; round < rounds; round++) console.log(JSON.stringify(await atRate(rate, seconds, get)));
  agent.destroy();
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
