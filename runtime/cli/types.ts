// The shape every `switchyard <command>` implements, so commands live in their own modules and are listed in one
// table. Output goes through `io` (tests capture it); the exit code is the return value.

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  /** Pretty, coloured output when true; plain text (or --json) otherwise. */
  isTTY: boolean;
}

export interface CliCommand {
  name: string;
  /** One line for `switchyard --help`. */
  summary: string;
  /** Usage text for `switchyard <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}
