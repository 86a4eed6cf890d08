import { randomBytes } from 'node:crypto';

/** A name no other run or test uses: specializations, model names, task queues. */
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
