import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What connectors may not import, and what to import instead (test/unit/plugin-boundary.test.ts checks it). */
export const connectorImportRestrictions = {
  paths: [
    {
      name: 'kafkajs',
      message:
        "Connectors never open Kafka clients: use context.durableLog(topic) (runtime/plugin/index.js), which has the worker's security settings.",
    },
    {
      name: 'prom-client',
      message:
        'Connectors define metrics as data and create them with context.metrics (runtime/plugin/index.js); the runtime registers them.',
    },
  ],
  patterns: [
    {
      // Any path into runtime/ but the three entry points (gitignore-style groups cannot re-include them).
      regex: String.raw`(^|/)runtime/(?!(plugin|record|cdc)/index\.js$)`,
      message:
        'Connectors import the runtime only through runtime/plugin/index.js, runtime/record/index.js or runtime/cdc/index.js; export what is missing from one of those.',
    },
    { group: ['kafkajs/*', 'prom-client/*'], message: 'Connectors never use Kafka or prom-client directly.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The plugin boundary (Kafka Connect's import-control): a connector reaches the runtime
    // only through its three entry points, and never opens Kafka or metrics clients of its own.
    files: ['connectors/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', connectorImportRestrictions],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The console's ES modules run in the browser.
    files: ['runtime/ui/assets/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'fetch',
          'sessionStorage',
          'btoa',
          'setTimeout',
          'clearTimeout',
          'ResizeObserver',
          'TextDecoderStream',
          'AbortController',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
