package io.connectedregistry.cli;

import io.connectedregistry.CommandLineRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.Main;
import io.connectedregistry.auth.PasswordHasher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code cr} commands offline on a data folder, and their usage errors. */
class ConnectedRegistryCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path data;


  @BeforeEach
  void cheapHasher() {
    AuthCommands.passwordHasher = () -> new PasswordHasher(1_000);
    ConnectedRegistryCommands.environment = Map::of;
  }

  @AfterEach
  void restore() {
    AuthCommands.passwordHasher = PasswordHasher::new;
    ConnectedRegistryCommands.environment = System::getenv;
  }

  private CommandLineRun run(String... args) {
    return CommandLineRun.of(args);
  }

  private CommandLineRun offline(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "cr";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--data";
    all[args.length + 2] = data.toString();
    return run(all);
  }

  @Test
  void createListShowAndDeleteOnADataFolder() throws Exception {
    CommandLineRun created = offline("create", "--name", "factory1", "--mode", "ReadWrite",
        "--repository", "app/*", "base", "--sync-schedule", "0 * * * *", "--sync-window", "PT2H");
    assertEquals(0, created.exit(), created.err());
    JsonNode json = JSON.readTree(created.out());
    assertEquals("[\"app/*\",\"base\"]", json.get("repositories").toString());
    assertEquals("0 * * * *", json.get("sync").get("schedule").asText());
    assertEquals("PT2H", json.get("sync").get("window").asText());
    assertEquals(0, offline("create", "--name", "line3", "--parent", "factory1",
        "--repository", "app/web").exit());

    CommandLineRun table = offline("list");
    assertEquals(0, table.exit(), table.err());
    assertEquals(List.of(
        "NAME      MODE       ACTIVATION  CONNECTION STATE  PARENT    LAST SYNC",
        "factory1  ReadWrite  Inactive    Offline           -         -",
        "line3     ReadOnly   Inactive    Offline           factory1  -"), table.out().lines().toList());
    CommandLineRun direct = offline("list", "--no-children", "--output", "json");
    assertEquals(1, JSON.readTree(direct.out()).size(), direct.out());

    CommandLineRun refused = offline("delete", "--name", "factory1");
    assertEquals(2, refused.exit());
    assertTrue(refused.err().contains("'factory1' has children (line3)"), refused.err());
    assertEquals(0, offline("delete", "--name", "line3", "--cleanup").exit());
    CommandLineRun shown = offline("show", "--name", "factory1");
    assertEquals("[]", JSON.readTree(offline("list-client-tokens", "--name", "factory1").out())
        .toString());
    assertEquals("factory1", JSON.readTree(shown.out()).get("name").asText());
  }

  @Test
  void badInputIsRefusedWithExit2AndAMessage() {
    CommandLineRun mode = offline("create", "--name", "factory1", "--mode", "readwrite", "--repository", "a");
    assertEquals(2, mode.exit());
    assertTrue(mode.err().contains("'readwrite'"), mode.err());
    CommandLineRun output = offline("list", "--output", "yaml");
    assertEquals(2, output.exit());
    assertTrue(output.err().contains("'yaml'"), output.err());
    CommandLineRun missing = offline("show", "--name", "nothere1");
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("'nothere1' does not exist"), missing.err());
  }

  @Test
  void onlineNeedsAUserAndAPasswordFromTheEnvironmentOrStdinNeverAnArgument() {
    CommandLineRun both = run("cr", "list", "--server", "http://127.0.0.1:9", "--data", data.toString());
    assertEquals(2, both.exit());
    assertTrue(both.err().contains("--server"), both.err());
    CommandLineRun noUser = run("cr", "list", "--server", "http://127.0.0.1:9");
    assertEquals(2, noUser.exit());
    assertTrue(noUser.err().contains("--username"), noUser.err());
    CommandLineRun noPassword = run("cr", "list", "--server", "http://127.0.0.1:9", "--username", "ops");
    assertEquals(2, noPassword.exit());
    assertTrue(noPassword.err().contains(ConnectedRegistryCommands.PASSWORD_VARIABLE), noPassword.err());
    CommandLineRun asArgument = run("cr", "list", "--server", "http://127.0.0.1:9", "--username", "ops",
        "--password", "secret");
    assertEquals(2, asArgument.exit(), "there is no --password option");
    ConnectedRegistryCommands.environment = () -> Map.of(ConnectedRegistryCommands.PASSWORD_VARIABLE, "x");
    CommandLineRun notUrl = run("cr", "list", "--server", "127.0.0.1:9", "--username", "ops");
    assertEquals(2, notUrl.exit());
    assertTrue(notUrl.err().contains("http://"), notUrl.err());
  }
}
