import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { DatasetError, loadDataset } from '../../ml/dataset';
import { DATASET_NAME } from '../../ml/dataset-catalog';
import { FailureType } from '../../workflows/failures';
import type { DatasetSummary } from '../../workflows/training-types';

export function createDatasetActivities({ datasetsDir }: { datasetsDir: string }) {
  return {
    /** Loads the whole dataset once, so a malformed line fails the job before any training starts. */
    async validateTrainingDataset(name: string): Promise<DatasetSummary> {
      if (!DATASET_NAME.test(name))
        throw ApplicationFailure.nonRetryable(
          `dataset "${name}" is not a valid dataset name`,
          FailureType.InvalidDataset,
        );
      const datasetDir = path.join(datasetsDir, name);
      try {
        const dataset = await loadDataset(datasetDir, 'specialization');
        return {
          name,
          datasetDir,
          labels: dataset.labels,
          trainExamples: dataset.train.length,
          holdoutExamples: dataset.holdout.length,
        };
      } catch (err) {
        if (err instanceof DatasetError)
          throw ApplicationFailure.nonRetryable(`dataset "${name}": ${err.message}`, FailureType.InvalidDataset);
        throw err;
      }
    },
  };
}
