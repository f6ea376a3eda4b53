import { defineConfig } from 'vitest/config'

// The project's own tests. The bundled task suite (fixtures/suite) is a separate vitest project run by the demo
// and by the integration tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/fixtures/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
