import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import { tracingForWorkflows } from '../config/tracing';

/** The workflow interceptors that continue a trace inside the workflow sandbox (bundled with the workflows). */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** Client interceptors that carry the active trace into the workflows a client starts or signals. */
export const clientTracing = () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] });

/** Each activity runs in a span, a child of the workflow's, so its outgoing calls join the trace. */
export const activityTracing = (): NonNullable<WorkerOptions['interceptors']> => ({
  activity: [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ],
});

/**
 * Traces through workflows and their activities: spans made in the sandbox leave through the
 * `exporter` sink. A prebuilt bundle (tests) has the workflow interceptors bundled already.
 */
export function workflowTracing({ prebuiltBundle = false } = {}): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const { processor, resource } = tracingForWorkflows();
  return {
    interceptors: {
      ...activityTracing(),
      ...(prebuiltBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
    },
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
  };
}
