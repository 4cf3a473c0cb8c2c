// Symbol.for: shared by every copy of this module (tslab and tsx may each load one).
const BRAND = Symbol.for("custom-ai-on-azure.error");

/**
 * Base error of the toolkit. Every boundary (config, backends, Azure, serving, runner) throws a
 * subclass or an instance of this with a stable `code` to branch on, and a message that says what
 * to do next; `hint` carries an optional extra step (a command to run, a variable to set).
 */
export class CustomAiError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for a CustomAiError (or subclass), also one made by another copy of this module. */
export function isCustomAiError(value: unknown): value is CustomAiError {
  return value instanceof CustomAiError || (value instanceof Error && BRAND in value);
}
