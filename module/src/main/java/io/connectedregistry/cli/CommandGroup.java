package io.connectedregistry.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A group command ({@code token}, {@code cr}, ...) run without a subcommand: list what it offers and exit 2. */
abstract class CommandGroup implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    System.err.println("connected-registry: missing subcommand");
    spec.commandLine().usage(System.err);
    return 2;
  }
}
