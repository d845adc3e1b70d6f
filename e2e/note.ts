// `note`: puts a measurement of a scenario in the test report and on stdout.

import { test } from '@playwright/test';

/** Puts a measurement in the report (annotation) and on stdout. */
export function note(type: string, description: string): void {
  test.info().annotations.push({ type, description });
  console.log(`[e2e] ${test.info().title} :: ${type}: ${description}`);
}
