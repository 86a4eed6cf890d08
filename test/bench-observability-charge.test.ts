import { chargeProfile } from '../bench/observability';

/** A CPU profile as V8 writes it: a call tree, and the node each sample was taken in. */
function profile(stacks: Record<string, { functionName: string; url: string }[]>, samples: string[]) {
  const nodes: { id: number; callFrame: { functionName: string; url: string }; children: number[] }[] = [];
  const leafOf = new Map<string, number>();
  const root = { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [] as number[] };
  nodes.push(root);
  for (const [name, frames] of Object.entries(stacks)) {
    let parent = root;
    for (const callFrame of frames) {
      const node = { id: nodes.length + 1, callFrame, children: [] };
      parent.children.push(node.id);
      nodes.push(node);
      parent = node;
    }
    leafOf.set(name, parent.id);
  }
  return { nodes, samples: samples.map((s) => leafOf.get(s)!) };
}

const request = { functionName: 'dispatch', url: 'file:///app/node_modules/hono/dist/cjs/hono-base.js' };
const stacks = {
  startup: [{ functionName: 'startTracing', url: 'file:///app/config/tracing.ts' }],
  idle: [{ functionName: '(idle)', url: '' }],
  program: [{ functionName: '(program)', url: '' }],
  route: [request, { functionName: 'byId', url: 'file:///app/db/stores/models.ts' }],
  span: [
    request,
    { functionName: 'startSpan', url: 'file:///app/node_modules/@opentelemetry/sdk-trace-base/build/src/Tracer.js' },
  ],
  metrics: [{ functionName: 'answered', url: 'file:///app/api/http-metrics.ts' }],
  hooks: [{ functionName: 'promiseInitHook', url: 'node:internal/async_hooks' }],
};

describe('the bench charges a CPU profile to tracing, metrics and async hooks', () => {
  it('from the first request on, as shares of the busy samples', () => {
    // Before the first request: startup (not a request's cost), however much of it there is.
    const samples = [
      'startup',
      'startup',
      'startup',
      'route',
      'span',
      'metrics',
      'hooks',
      'route',
      'idle',
      'program',
      'startup',
    ];
    // From the first request: 8 samples, 6 of them busy (idle and "(program)" are not); the late
    // startup-like frame (tracing code outside a request) is still tracing.
    expect(chargeProfile(profile(stacks, samples))).toEqual({
      tracing: (100 * 2) / 6,
      metrics: 100 / 6,
      asyncHooks: 100 / 6,
    });
  });

  it('refuses a profile that holds no request', () => {
    expect(() => chargeProfile(profile(stacks, ['startup', 'idle']))).toThrow('no request');
  });
});
