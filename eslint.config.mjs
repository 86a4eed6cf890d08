import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// Each Sequelize instance has its own models (db/models.ts initModels): the exported classes are
// types. Querying one directly would use no database at all; get them with modelsOf(sequelize).
const modelClassesAreTypes = {
  group: ['**/db/models'],
  importNames: ['ModelRecord', 'TrainingJob', 'Deployment', 'Routing', 'PerformanceMetric', 'RevokedToken'],
  allowTypeImports: true,
  message: 'Model classes are types; query through modelsOf(sequelize) or a store.',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'coverage/', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The workflow sandbox: deterministic code only. Node built-ins and activity *values* are
    // refused here; activity types (`import type`) are how workflows name what they call.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules.flatMap((name) => [
            { name, message: 'Node built-ins are not available in the workflow sandbox.' },
            { name: `node:${name}`, message: 'Node built-ins are not available in the workflow sandbox.' },
          ]),
          patterns: [
            {
              group: [
                '**/activities',
                '**/activities/**',
                '@temporalio/activity',
                '@temporalio/worker',
                '@temporalio/client',
              ],
              allowTypeImports: true,
              message:
                'Workflows import activity types only (import type), never activity code or SDK runtime packages.',
            },
            {
              group: ['sequelize', 'pg', 'onnxruntime-node', '**/db/**', '**/api/**', 'jsonwebtoken', 'pino'],
              message: 'I/O belongs in activities, not workflows.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process in workflows.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
      ],
    },
  },
  {
    // The API and the worker's activities are separate processes that share db/, auth/, config/ and
    // the workflow contracts; neither reaches into the other (or into the worker's bootstrap).
    files: ['api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '**/worker/**'],
              message:
                'api/ never imports activities/ or worker/: share it through db/, auth/, config/, storage/ or a workflow contract.',
            },
            modelClassesAreTypes,
          ],
        },
      ],
    },
  },
  {
    // Routes and serving reach the database through db/ stores only (api/main.ts opens it, errors.ts maps its errors).
    files: [
      'api/routes/**/*.ts',
      'api/inference/**/*.ts',
      'api/auth/**/*.ts',
      'api/health.ts',
      'api/platform-metrics.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '**/worker/**'],
              message:
                'api/ never imports activities/ or worker/: share it through db/, auth/, config/, storage/ or a workflow contract.',
            },
            {
              group: ['sequelize', 'pg'],
              allowTypeImports: true,
              message: 'SQL lives in db/ (a store): routes and serving get the stores injected.',
            },
            modelClassesAreTypes,
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/**', '**/worker/**'],
              message:
                'activities/ never import api/ or worker/ internals: dependencies are injected, shared code lives in db/, auth/, config/ or storage/.',
            },
            {
              group: ['sequelize', 'pg'],
              allowTypeImports: true,
              message: 'SQL lives in db/ (a store): activities get the stores injected.',
            },
            modelClassesAreTypes,
          ],
        },
      ],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/**', '**/activities', '**/activities/**', '**/worker/**'],
              message:
                'db/ is the bottom layer: it imports config/ and the (pure) workflow contracts, nothing above it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Code that runs in a serving process (or in a test's, beside an API, a worker and their pools):
    // a synchronous child process stalls every request, heartbeat and connect timer of it meanwhile.
    files: [
      'api/**/*.ts',
      'activities/**/*.ts',
      'db/**/*.ts',
      'storage/**/*.ts',
      'support/**/*.ts',
      'test/helpers/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportSpecifier[imported.name=/^(execSync|execFileSync|spawnSync)$/]',
          message:
            "Run the child asynchronously (execFile/spawn, awaited): a blocked event loop lets timers such as pg's connect timeout expire.",
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['db/**', 'workflows/**', 'api/**', 'activities/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [modelClassesAreTypes] }] },
  },
);
