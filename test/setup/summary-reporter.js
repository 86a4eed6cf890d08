/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI can read,
 * after the slowest files and their seconds (where a run's time goes, to keep CI short).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const slowest = results.testResults
      .map((file) => ({
        seconds: (file.perfStats.end - file.perfStats.start) / 1000,
        name: file.testFilePath.slice(process.cwd().length + 1),
      }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 12);
    const total = results.testResults.reduce((sum, f) => sum + (f.perfStats.end - f.perfStats.start) / 1000, 0);
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
