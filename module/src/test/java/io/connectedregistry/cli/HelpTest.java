package io.connectedregistry.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.CommandLineRun;
import io.connectedregistry.Main;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * {@code --help} of every command, as a user types it. The command line parses with picocli's
 * variable interpolation off (Main.commandLine), while picocli's own -h and -V options are named
 * by variables: help must still show them as -h and -V.
 */
class HelpTest {

  @TestFactory
  Stream<DynamicTest> everyCommandsHelpNamesItsOptionsPlainly() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    assertTrue(paths.size() > 20, "the walk found the subcommands: " + paths.size());
    return paths.stream().map(path -> DynamicTest.dynamicTest(String.join(" ", path) + " --help", () -> {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      CommandLineRun run = CommandLineRun.of(args.toArray(String[]::new));
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("Usage: connected-registry"), run.out());
      assertTrue(run.out().contains("-h, --help"), run.out());
      assertTrue(run.out().contains("-V, --version"), run.out());
      assertFalse(run.out().contains("${"), run.out());
    }));
  }

  @Test
  void shortHelpOptionPrintsTheSameHelp() {
    CommandLineRun shortForm = CommandLineRun.of("token", "-h");
    CommandLineRun longForm = CommandLineRun.of("token", "--help");
    assertEquals(0, shortForm.exit());
    assertEquals(longForm.out(), shortForm.out());
  }

  @Test
  void anUnknownOptionStillParsesWithoutInterpolationAndSaysWhatToTry() {
    CommandLineRun run = CommandLineRun.of("--port", "5000");
    assertEquals(2, run.exit());
    assertTrue(run.err().contains("Unknown options: '--port', '5000'"), run.err());
    assertTrue(run.err().contains("Try 'connected-registry --help'."), run.err());
    assertFalse(run.err().contains("${"), run.err());
  }

  private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
    into.add(List.copyOf(path));
    command.getSubcommands().forEach((name, sub) -> {
      if (sub.getCommandName().equals(name)) { // each once, not again under an alias
        List<String> next = new ArrayList<>(path);
        next.add(name);
        collect(sub, next, into);
      }
    });
  }
}
