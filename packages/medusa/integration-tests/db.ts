/**
 * The database the module test runs in; created by `global-setup.ts`, schema reset by the runner.
 * `ALIPAYHK_MEDUSA_TEST_DB` names another one, so that two checkouts can run the suite at once.
 */
export const MODULE_TEST_DB = process.env.ALIPAYHK_MEDUSA_TEST_DB || "alipayhk-medusa-module-test";
