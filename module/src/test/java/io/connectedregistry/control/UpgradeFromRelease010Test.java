package io.connectedregistry.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code auth.db} of release 0.1.0 (the e2e fixture, user_version 0) opens at the newest schema version (3)
 * with its token intact, and takes connected registries that use that token.
 */
class UpgradeFromRelease010Test {

  private static final Path FIXTURE =
      Path.of("..", "tests", "src", "test", "resources", "fixtures", "data-0.1.0", "data.tar.gz");

  @TempDir Path data;

  @Test
  void theAuthDatabaseOfRelease010IsMigratedToTheNewestVersionAndTakesDefinitions() throws Exception {
    assumeTrue(Files.exists(FIXTURE), "run from the module folder of the repository");
    Process tar = new ProcessBuilder("tar", "-xzf", FIXTURE.toString(), "-C", data.toString(),
        "auth.db").inheritIO().start();
    assertTrue(tar.waitFor(30, TimeUnit.SECONDS) && tar.exitValue() == 0, "tar");
    assertEquals(0, userVersion(), "the fixture predates schema versions");

    PasswordHasher hasher = new PasswordHasher();
    try (AuthStore store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, hasher,
        Clock.systemUTC())) {
      assertEquals(3, userVersion());
      var login = new Authenticator(store, hasher).authenticate("fixture-reader",
          "u8JxFimTy4d-VNjngdp-e19SCyDFNEKEDhKvH2_OdHw", Instant.now());
      assertTrue(login instanceof Authenticator.Authenticated, login.toString());

      ConnectedRegistries registries = new ConnectedRegistries(store,
          new ConnectedRegistries.Site(null, () -> null), Clock.systemUTC());
      registries.create(new Requests.Create("line3", null, null, List.of("fixture/*"),
          List.of("fixture-reader"), null, null, null, null));
      assertEquals(List.of("fixture-reader"), registries.show("line3").get("clientTokens"));
      assertTrue(store.scopeMap("line3-sync-scope-map").orElseThrow()
          .allowsGateway("line3", Action.CONFIG_READ));
    }
  }

  private int userVersion() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("auth.db"));
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
