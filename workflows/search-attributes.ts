import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes (all Keyword) that let operators find every workflow of a model in the
 * Web UI, e.g. `NwKind="training" AND NwModelName="sales-intent"`. Registered on the dev server at
 * start (temporal/dev-server.ts) and by the compose stack's admin-tools job.
 */
export const NwModelId = defineSearchAttributeKey('NwModelId', SearchAttributeType.KEYWORD);
export const NwModelName = defineSearchAttributeKey('NwModelName', SearchAttributeType.KEYWORD);
export const NwSpecialization = defineSearchAttributeKey('NwSpecialization', SearchAttributeType.KEYWORD);
export const NwKind = defineSearchAttributeKey('NwKind', SearchAttributeType.KEYWORD);
export const NwStage = defineSearchAttributeKey('NwStage', SearchAttributeType.KEYWORD);

export const searchAttributeKeys = [NwModelId, NwModelName, NwSpecialization, NwKind, NwStage];

export type WorkflowKind = 'validation' | 'training' | 'deployment' | 'watchdog' | 'alert-delivery';
