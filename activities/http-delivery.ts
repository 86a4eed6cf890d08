import { SpanKind } from '@opentelemetry/api';
import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { inSpan, traceHeaders } from '../config/tracing';

/** 4xx that mean "later", not "never": retried like a 5xx. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

export interface Delivery {
  /** What the messages call the receiver ("RelayCore", "alert webhook"). */
  receiver: string;
  method: 'POST' | 'PUT';
  url: string;
  body: unknown;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Failure type of a 4xx: the call itself is wrong, retrying cannot help. */
  rejectedType: string;
}

/**
 * One HTTP delivery from an activity, classified for Temporal: 2xx → the parsed body; 4xx →
 * non-retryable `rejectedType`; 5xx, timeouts, refused or dropped connections → a plain Error,
 * which the activity's retry policy retries for as long as it takes.
 */
export async function deliverJson(d: Delivery): Promise<{ status: number; body: unknown }> {
  const workflowId = asyncLocalStorage.getStore()?.info.workflowExecution?.workflowId;
  const attributes = {
    'http.request.method': d.method,
    'server.address': new URL(d.url).host,
    ...(workflowId ? { 'workflow.id': workflowId } : {}),
  };
  // A client span per attempt; its context replaces any fallback traceparent the caller put in the headers.
  return inSpan(`${d.receiver} ${d.method}`, SpanKind.CLIENT, attributes, async (span) => {
    const answer = await send({ ...d, headers: { ...d.headers, ...traceHeaders() } });
    span.setAttribute('http.response.status_code', answer.status);
    return answer;
  });
}

async function send(d: Delivery): Promise<{ status: number; body: unknown }> {
  const target = `${d.receiver} ${d.method} ${d.url}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(d.url, {
      method: d.method,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...d.headers },
      body: JSON.stringify(d.body),
      signal: AbortSignal.timeout(d.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    // Timeouts (TimeoutError), refused or dropped connections (TypeError: fetch failed): retry.
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `timed out after ${d.timeoutMs} ms`
        : `failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    throw new Error(`${target} ${why}`, { cause: err });
  }
  const parsed = parseBody(text);
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed };
  const summary = `${target} answered ${res.status}: ${text.slice(0, 2_000)}`;
  if (res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status)) {
    throw ApplicationFailure.create({
      message: summary,
      type: d.rejectedType,
      nonRetryable: true,
      details: [{ status: res.status, body: parsed }],
    });
  }
  throw new Error(summary);
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
