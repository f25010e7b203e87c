/** The database the module test runs in; created by `global-setup.ts`, schema reset by the runner. */
export const MODULE_TEST_DB = "alipayhk-medusa-module-test";
