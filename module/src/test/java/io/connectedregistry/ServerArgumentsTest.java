package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ServerArguments} reads a server's options in a class loader of its own exactly as picocli
 * reads them in this one, and leaves everything else (subcommands, help, mistakes) to {@link
 * Main}'s own command line. That it is picocli of another loader, unloaded afterwards, is checked
 * end to end (e2e ServerClassFootprintTest).
 */
class ServerArgumentsTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "--listen 127.0.0.1:5000 --data /tmp/data",
      "--listen=127.0.0.1:5000 --data=/tmp/data --mode ReadOnly",
      "--config registry.yaml",
      "--log-level Debug --data gc-data",
      "--mode=ReadWrite --config=a.json --listen :5000 --data d --log-level None"})
  void aServerStartIsReadAsPicocliReadsItHere(String line) {
    String[] args = line.isEmpty() ? new String[0] : line.split(" ");
    Map<String, String> here = Main.serverOptions(args);
    Optional<Map<String, String>> isolated = ServerArguments.read(args);
    assertTrue(isolated.isPresent(), "read in the isolated loader: " + line);
    assertEquals(here, isolated.get());
    Main main = Main.withOptions(isolated.get());
    assertEquals(here, Main.serverOptions(toArgs(main)), "withOptions keeps every option of " + line);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "gc --data /tmp/data",
      "--data /tmp/data gc",
      "token list --data d",
      "--help",
      "-h",
      "--version",
      "--listen",
      "--nope",
      "--data d extra-word",
      "--mode",
      "--data gc --listen 0.0.0.0:80"})
  void anythingElseIsLeftToMainsOwnCommandLine(String line) {
    String[] args = line.split(" ");
    assertNull(Main.serverOptions(args), line);
    assertFalse(ServerArguments.read(args).isPresent(), line);
  }

  /** The command line that gives {@code main}'s options. */
  private static String[] toArgs(Main main) {
    List<String> args = new ArrayList<>();
    add(args, "--config", main.config);
    add(args, "--listen", main.listen);
    add(args, "--data", main.data);
    add(args, "--mode", main.mode);
    add(args, "--log-level", main.logLevel);
    return args.toArray(String[]::new);
  }

  private static void add(List<String> args, String name, String value) {
    if (value != null) {
      args.add(name);
      args.add(value);
    }
  }
}
