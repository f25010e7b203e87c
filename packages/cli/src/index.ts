/** The `alipayhk` CLI as a library: run it in-process with your own streams. */
export { main, MAIN_HELP } from "./main";
export { UsageError, type CommandIo } from "./io";
