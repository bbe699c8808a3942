package io.connectedregistry.cli;

import io.connectedregistry.CommandLineRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.Main;
import io.connectedregistry.auth.PasswordHasher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthCommandsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path data;

  @BeforeEach
  void cheapHasher() {
    AuthCommands.passwordHasher = () -> new PasswordHasher(1_000);
  }

  @AfterEach
  void realHasher() {
    AuthCommands.passwordHasher = PasswordHasher::new;
  }

  private CommandLineRun run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    // Options of the leaf command go after the subcommand names.
    all.add("--data");
    all.add(data.toString());
    return CommandLineRun.of(all.toArray(String[]::new));
  }

  @Test
  void tokenLifecycle() throws Exception {
    CommandLineRun created = run("token", "create", "--name", "ci-push",
        "--repository", "app/*", "content/read", "content/write",
        "--repository", "base", "metadata/read");
    assertEquals(0, created.exit(), created.err());
    JsonNode body = JSON.readTree(created.out());
    assertEquals("ci-push", body.get("name").asText());
    String password = body.get("password").asText();
    assertFalse(password.isBlank());

    CommandLineRun map = run("scope-map", "show", "ci-push-scope-map");
    assertEquals(0, map.exit(), map.err());
    JsonNode rules = JSON.readTree(map.out()).get("rules");
    assertEquals(2, rules.size());
    assertEquals("app/*", rules.get(0).get("repository").asText());
    assertEquals("[\"content/read\",\"content/write\"]", rules.get(0).get("actions").toString());
    assertEquals("base", rules.get(1).get("repository").asText());
    assertEquals("[\"metadata/read\"]", rules.get(1).get("actions").toString());

    CommandLineRun show = run("token", "show", "ci-push");
    assertEquals(0, show.exit(), show.err());
    JsonNode token = JSON.readTree(show.out());
    assertEquals("ci-push-scope-map", token.get("scopeMap").asText());
    assertEquals("enabled", token.get("status").asText());
    assertEquals(1, token.get("passwords").size());
    assertEquals(1, token.get("passwords").get(0).get("slot").asInt());
    assertEquals(2, token.get("rules").size());
    CommandLineRun list = run("token", "list");
    assertEquals(0, list.exit(), list.err());
    assertEquals(1, JSON.readTree(list.out()).size());
    for (CommandLineRun r : List.of(show, list, map)) {
      assertFalse(r.out().contains(password), "password leaked: " + r.out());
      assertFalse(r.out().contains("pbkdf2"), "hash leaked: " + r.out());
      assertFalse(r.out().contains("hash"), r.out());
    }

    CommandLineRun second = run("token", "password", "ci-push", "--slot", "2", "--expiry", "P30D");
    assertEquals(0, second.exit(), second.err());
    JsonNode pw2 = JSON.readTree(second.out());
    assertEquals(2, pw2.get("slot").asInt());
    String password2 = pw2.get("password").asText();
    assertFalse(password2.equals(password));
    CommandLineRun shown = run("token", "show", "ci-push");
    assertEquals(2, JSON.readTree(shown.out()).get("passwords").size());
    assertTrue(JSON.readTree(shown.out()).get("passwords").get(1).hasNonNull("expires"));
    assertFalse(shown.out().contains(password2));

    CommandLineRun dropped = run("token", "password", "ci-push", "--slot", "2", "--delete");
    assertEquals(0, dropped.exit(), dropped.err());
    assertEquals(1, JSON.readTree(run("token", "show", "ci-push").out()).get("passwords").size());

    CommandLineRun disabled = run("token", "update", "ci-push", "--status", "disabled");
    assertEquals(0, disabled.exit(), disabled.err());
    assertEquals("disabled", JSON.readTree(disabled.out()).get("status").asText());

    CommandLineRun inUse = run("scope-map", "delete", "ci-push-scope-map");
    assertEquals(2, inUse.exit(), inUse.out());
    assertTrue(inUse.err().startsWith("connected-registry: "), inUse.err());

    assertEquals(0, run("token", "delete", "ci-push").exit());
    assertEquals(0, run("scope-map", "delete", "ci-push-scope-map").exit());
    assertEquals("[ ]", run("token", "list").out().trim());
    assertEquals("[ ]", run("scope-map", "list").out().trim());

    CommandLineRun gone = run("token", "show", "ci-push");
    assertEquals(2, gone.exit());
    assertTrue(gone.err().contains("ci-push"), gone.err());
  }

  @Test
  void tokenWithExistingScopeMap() throws Exception {
    CommandLineRun map = run("scope-map", "create", "readers", "--repository", "*", "content/read",
        "metadata/read", "--description", "read everything");
    assertEquals(0, map.exit(), map.err());
    assertEquals("read everything", JSON.readTree(map.out()).get("description").asText());
    CommandLineRun created = run("token", "create", "--name", "reader", "--scope-map", "readers");
    assertEquals(0, created.exit(), created.err());
    assertEquals("readers", JSON.readTree(run("token", "show", "reader").out())
        .get("scopeMap").asText());

    CommandLineRun updated = run("scope-map", "update", "readers", "--repository", "app", "content/read");
    assertEquals(0, updated.exit(), updated.err());
    JsonNode body = JSON.readTree(updated.out());
    assertEquals(1, body.get("rules").size());
    assertEquals("read everything", body.get("description").asText());
  }

  @Test
  void writeScopeMapRefusedOnReadOnlyRegistry() {
    CommandLineRun r = run("scope-map", "create", "pushers", "--mode", "ReadOnly",
        "--repository", "app", "content/write");
    assertEquals(2, r.exit());
    assertTrue(r.err().startsWith("connected-registry: "), r.err());
    assertTrue(r.err().contains("ReadOnly"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());

    CommandLineRun token = run("token", "create", "--name", "pusher", "--mode", "ReadOnly",
        "--repository", "app", "content/write");
    assertEquals(2, token.exit());
    assertTrue(token.err().contains("ReadOnly"), token.err());
    assertEquals("[ ]", run("scope-map", "list").out().trim());
  }

  @Test
  void unknownActionRefused() {
    CommandLineRun r = run("scope-map", "create", "bad-map", "--repository", "app", "content/steal");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("unknown action 'content/steal'"), r.err());

    CommandLineRun t = run("token", "create", "--name", "bad-token", "--repository", "app", "content/steal");
    assertEquals(2, t.exit());
    assertEquals("[ ]", run("token", "list").out().trim());
  }

  @Test
  void duplicateAndUsageErrors() {
    assertEquals(0, run("scope-map", "create", "readers", "--repository", "app", "content/read")
        .exit());
    CommandLineRun dup = run("scope-map", "create", "readers", "--repository", "app", "content/read");
    assertEquals(2, dup.exit());
    assertTrue(dup.err().contains("already exists"), dup.err());

    CommandLineRun neither = run("token", "create", "--name", "lonely");
    assertEquals(2, neither.exit());
    CommandLineRun badSlot = run("token", "password", "lonely", "--slot", "3");
    assertEquals(2, badSlot.exit());
  }
}
