import tseslint from 'typescript-eslint';

/** Lint rules: typed TypeScript everywhere, and Web APIs only under src/ (DESIGN.md). */
export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.wrangler/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Tests read JSON bodies of many shapes.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'src/ uses Web APIs only' }] },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'src/ uses Web APIs only: use Uint8Array' },
        { name: 'process', message: 'src/ uses Web APIs only: take config as arguments' },
        { name: 'require', message: 'src/ uses ES modules only' },
      ],
      'no-console': 'error',
    },
  },
);
