// The `custom-ai` command.
import { Command, CommanderError } from "commander";
import { RunnerError } from "../notebook/index.js";
import { notebooksCommand } from "./notebooks.js";
import { scoreCommand } from "./score.js";
import { serveCommand } from "./serve.js";

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command("custom-ai")
    .description("Custom AI on Azure: notebooks, training, scoring and deployment, locally or on Azure")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(notebooksCommand((code) => (exitCode = code)));
  program.addCommand(scoreCommand((code) => (exitCode = code)));
  program.addCommand(serveCommand((code) => (exitCode = code)));
  // Usage errors anywhere in the tree exit 2, not commander's default 1.
  const override = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: (t) => process.stderr.write(t) });
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; anything else is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof RunnerError) {
      process.stderr.write(`custom-ai: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
