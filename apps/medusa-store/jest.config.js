const { loadEnv } = require("@medusajs/framework/utils");
loadEnv("test", process.cwd());

// The database lives on PostgreSQL with trust auth. The runner forces SSL unless DB_HOST
// contains "localhost", so never use 127.0.0.1 here.
process.env.DB_HOST ??= "localhost";
process.env.DB_USERNAME ??= "postgres";

module.exports = {
  transform: {
    "^.+\\.[jt]s$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", decorators: true } } },
    ],
  },
  testEnvironment: "node",
  moduleFileExtensions: ["js", "ts", "json"],
  modulePathIgnorePatterns: ["dist/", "<rootDir>/.medusa/"],
  setupFiles: ["./integration-tests/setup.js"],
  testMatch: ["**/integration-tests/http/*.spec.[jt]s"],
  testTimeout: 240000,
};
