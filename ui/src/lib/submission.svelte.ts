// One form's trip to the engine: whether it is under way, and the engine's objection if it
// refused. Every form that asks the engine to change something shares it.

import { ApiError, toApiError } from "./api";

export class Submission {
  saving = $state(false);
  error = $state<ApiError | null>(null);

  /** Runs `action`, keeping what the engine objected to; true when it went through. */
  async run(action: () => Promise<unknown>): Promise<boolean> {
    this.saving = true;
    this.error = null;
    try {
      await action();
      return true;
    } catch (thrown) {
      this.error = toApiError(thrown);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** The engine's message when it names `field`, for under that field. */
  fieldError(field: string): string | null {
    return this.error?.field === field ? this.error.message : null;
  }

  /** The engine's objection when it names none of `fields`, for below the form. */
  formError(...fields: string[]): ApiError | null {
    return this.error && !fields.includes(this.error.field ?? "") ? this.error : null;
  }
}
