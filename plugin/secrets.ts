import { createRedactor, type Redactor } from '../src/trace/redact.js'

/**
 * The redactor of a run, from every secret the runner knows: the environment's, the API key the client sends
 * (given as the plugin option `model.apiKey` or in `OPENAI_API_KEY`) and its `Authorization` header. The main
 * process and each worker build one from the same sources, once; `vocabulary` adds the words of the formats a
 * process writes besides traces.
 */
export function createRunRedactor(apiKey: string | undefined, env: NodeJS.ProcessEnv = process.env, vocabulary: readonly string[] = []): Redactor {
  const key = apiKey || env.OPENAI_API_KEY
  return createRedactor({
    env,
    values: [key],
    headers: key ? { authorization: `Bearer ${key}` } : {},
    vocabulary,
  })
}
