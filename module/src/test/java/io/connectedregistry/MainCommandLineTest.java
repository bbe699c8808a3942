package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * {@link Main#commandLineFor} gives picocli only the subcommand the arguments name (none for the
 * server): every argument list must parse exactly as the whole command line parses it.
 */
class MainCommandLineTest {

  static Stream<List<String>> argumentLists() {
    return Stream.of(
        List.of(),
        List.of("--listen", "127.0.0.1:5000", "--data", "/srv/data"),
        List.of("--listen=127.0.0.1:5000", "--data=/srv/data", "--mode", "ReadOnly", "--log-level", "Debug"),
        List.of("--config", "c.yml"),
        List.of("--data", "gc"), // a subcommand's name where an option wants its value
        List.of("gc", "--data", "/srv/data", "--dry-run"),
        List.of("--data", "/srv/data", "gc"),
        List.of("token", "create", "--name", "ci", "--scope-map", "pull"),
        List.of("token", "list", "--data", "/srv/data"),
        List.of("scope-map", "list"),
        List.of("cr", "list"),
        List.of("bundle", "export", "--help"),
        List.of("tokn", "list"), // mistyped: picocli's error suggests the right name
        List.of("--dta", "/srv"),
        List.of("--listen"),
        List.of("-V"),
        List.of("--version"),
        List.of("--", "gc"),
        List.of("/srv/data"));
  }

  @ParameterizedTest
  @MethodSource("argumentLists")
  void parsesAsTheWholeCommandLineDoes(List<String> args) {
    String[] array = args.toArray(String[]::new);
    assertEquals(parsed(Main.commandLine(), array), parsed(Main.commandLineFor(array), array));
  }

  @Test
  void theServersArgumentsBuildNoSubcommand() {
    assertTrue(Main.commandLineFor(new String[] {"--listen", "127.0.0.1:5000", "--data", "gc-data"})
        .getSubcommands().isEmpty());
    assertTrue(Main.commandLineFor(new String[0]).getSubcommands().isEmpty());
    assertEquals(List.of("gc"),
        List.copyOf(Main.commandLineFor(new String[] {"--data=x", "gc"}).getSubcommands().keySet()));
    assertEquals(Main.commandLine().getSubcommands().keySet(),
        Main.commandLineFor(new String[] {"--help"}).getSubcommands().keySet(), "help lists them all");
  }

  /** The commands matched, each with its options and values, or the error picocli reports. */
  private static List<String> parsed(CommandLine commandLine, String[] args) {
    List<String> out = new ArrayList<>();
    try {
      for (ParseResult r = commandLine.parseArgs(args); r != null; r = r.subcommand()) {
        out.add("command " + r.commandSpec().qualifiedName());
        r.matchedOptions().forEach(o -> out.add(o.longestName() + "=" + o.stringValues()));
        r.matchedPositionals().forEach(p -> out.add("positional " + p.index() + "=" + p.stringValues()));
        out.add("unmatched " + r.unmatched());
        out.add("help " + r.isUsageHelpRequested() + " " + r.isVersionHelpRequested());
      }
    } catch (CommandLine.ParameterException e) {
      out.add("error " + e.getMessage() + " in " + e.getCommandLine().getCommandSpec().qualifiedName());
    }
    return out;
  }
}
