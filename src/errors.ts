/** Stable error codes; tools and tests match on these, never on messages. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'HARNESS_NOT_FOUND'
  | 'HARNESS_INVALID'
  | 'RECORD_INVALID'
  | 'RECORD_NOT_FOUND'
  | 'NOT_COMPARABLE'
  | 'USAGE'
  | 'MODEL_FAILED'
  | 'MODEL_BAD_RESPONSE'
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_OUTPUT_REJECTED'
  | 'MODEL_OUTPUT_CUT'
  | 'CONTEXT_EXCEEDED'
  | 'RUN_TIMEOUT'
  | 'SANDBOX_FAILED'
  | 'WORKSPACE_FAILED'
  | 'IO_FAILED'
  | 'INTERNAL'

/** Base of every error self-harness throws on purpose. */
export class SelfHarnessError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The user's configuration or input is wrong: a file, a field, a flag. Exit code 2. */
export class ConfigurationError extends SelfHarnessError {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined
  /** The field (dotted path) the problem is in, when there is one. */
  readonly field: string | undefined
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; file?: string; field?: string },
  ) {
    super(code, message, options)
    this.file = options?.file
    this.field = options?.field
  }
}

/** Two inputs cannot be compared or there is not enough evidence to decide. Exit code 3. */
export class NotComparableError extends SelfHarnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_COMPARABLE', message, options)
  }
}

/** Codes a {@link ModelError} carries. */
export type ModelErrorCode = Extract<ErrorCode, `MODEL_${string}` | 'CONTEXT_EXCEEDED' | 'RUN_TIMEOUT'>

/**
 * The model endpoint misbehaved (after retries) or the model's own output was refused. `MODEL_FAILED`,
 * `MODEL_BAD_RESPONSE`, `MODEL_RATE_LIMITED` and `RUN_TIMEOUT` end a trial as `error`; `CONTEXT_EXCEEDED`,
 * `MODEL_OUTPUT_REJECTED` and `MODEL_OUTPUT_CUT` are the model failing the task (see docs/agent-protocol.md).
 */
export class ModelError extends SelfHarnessError {
  declare readonly code: ModelErrorCode
  constructor(message: string, options?: { cause?: unknown; code?: ModelErrorCode }) {
    super(options?.code ?? 'MODEL_FAILED', message, options)
  }
}

/** The sandbox could not run a command at all (not: the command failed). */
export class SandboxError extends SelfHarnessError {
  constructor(message: string, options?: { cause?: unknown }, code: 'SANDBOX_FAILED' | 'WORKSPACE_FAILED' = 'SANDBOX_FAILED') {
    super(code, message, options)
  }
}

/** The machine could not hold a trial's files (disk full, I/O error) while creating the workspace or writing in it. */
export class WorkspaceError extends SandboxError {
  /** The file or directory that could not be made or written. */
  readonly file: string
  constructor(message: string, options: { file: string; cause?: unknown }) {
    super(message, { cause: options.cause }, 'WORKSPACE_FAILED')
    this.file = options.file
  }
}

/** A bug in self-harness itself. */
export class InternalError extends SelfHarnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options)
  }
}
