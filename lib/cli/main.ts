// The `custom-ai` command.
import { Command } from "commander";
import { azureCommand } from "./azure.js";
import { deployCommand, undeployCommand } from "./deploy.js";
import { debugRequested, reportError } from "./errors.js";
import { notebooksCommand } from "./notebooks.js";
import { platformsCommand } from "./platforms.js";
import { scoreCommand } from "./score.js";
import { serveCommand } from "./serve.js";

/** A subcommand: it reports what it did through `setExit`, and throws on failure. */
export type CommandFactory = (setExit: (code: number) => void) => Command;

const COMMANDS: readonly CommandFactory[] = [notebooksCommand, scoreCommand, serveCommand, deployCommand, undeployCommand, azureCommand, platformsCommand];

/** Runs the `custom-ai` command line; resolves with the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv, COMMANDS);
}

/**
 * Runs a command line of these subcommands: their usage errors and thrown errors all end in
 * reportError (lib/cli/errors.ts), which prints them and gives the exit code.
 */
export async function runCli(argv: string[], commands: readonly CommandFactory[]): Promise<number> {
  let exitCode = 0;
  const program = new Command("custom-ai")
    .description("Custom AI on Azure: notebooks, training, scoring and deployment, locally or on Azure")
    .option("--debug", "print the stack trace of an unexpected error (also CUSTOM_AI_DEBUG=1)");
  for (const command of commands) program.addCommand(command((code) => (exitCode = code)));
  // commander's own errors (usage) throw instead of exiting, and read like ours.
  const configure = (c: Command, name: string): void => {
    c.exitOverride()
      .configureOutput({
        writeErr: (t) => process.stderr.write(t),
        outputError: (t, write) => write(`custom-ai: ${t.replace(/^error: /, "")}`),
      })
      .showHelpAfterError(`  What to do: see \`${name} --help\` for the options.`);
    for (const sub of c.commands) configure(sub, `${name} ${sub.name()}`);
  };
  configure(program, "custom-ai");
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    return reportError(e, { debug: debugRequested(argv) });
  }
}
