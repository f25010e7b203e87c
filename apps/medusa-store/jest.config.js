const { loadEnv } = require("@medusajs/framework/utils");
loadEnv("test", process.cwd());

// PostgreSQL with trust auth. medusaIntegrationTestRunner turns SSL on for any database URL
// without "localhost" in it (and a local server without SSL then hangs), so 127.0.0.1 becomes
// localhost here. The runner creates and drops its own database.
if (!process.env.DB_HOST || process.env.DB_HOST === "127.0.0.1") process.env.DB_HOST = "localhost";
process.env.DB_USERNAME ??= "postgres";

module.exports = {
  transform: {
    "^.+\\.[jt]s$": ["@swc/jest", { jsc: { parser: { syntax: "typescript", decorators: true } } }],
  },
  testEnvironment: "node",
  moduleFileExtensions: ["js", "ts", "json"],
  modulePathIgnorePatterns: ["dist/", "<rootDir>/.medusa/"],
  setupFiles: ["./integration-tests/setup.js"],
  testMatch: ["**/integration-tests/http/*.spec.[jt]s", "**/integration-tests/admin/*.spec.[jt]s"],
  testTimeout: 240000,
};
