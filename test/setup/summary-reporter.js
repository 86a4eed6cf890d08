/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI can read,
 * after the slowest files and their seconds (where a run's time goes, to keep CI short).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const files = results.testResults.map((file) => ({
      seconds: (file.perfStats.end - file.perfStats.start) / 1000,
      name: file.testFilePath.slice(process.cwd().length + 1),
    }));
    const total = files.reduce((sum, file) => sum + file.seconds, 0);
    const slowest = files.sort((a, b) => b.seconds - a.seconds).slice(0, 12);
    process.stdout.write(
      `slowest files (of ${Math.round(total)} s in all files): ${slowest.map((f) => `${f.name} ${Math.round(f.seconds)} s`).join(', ')}\n`,
    );
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
