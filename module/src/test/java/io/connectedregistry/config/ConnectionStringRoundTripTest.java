package io.connectedregistry.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistries;
import io.connectedregistry.control.Requests;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code cr get-settings} prints is what an instance parses at start. */
class ConnectionStringRoundTripTest {

  @TempDir Path data;

  @Test
  void getSettingsPrintsAConnectionStringThisReleaseParses() {
    try (AuthStore store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS,
        new PasswordHasher(1_000), Clock.systemUTC())) {
      ConnectedRegistries registries = new ConnectedRegistries(store,
          new ConnectedRegistries.Site(null, () -> "root.example.com:8443"), Clock.systemUTC());
      registries.create(new Requests.Create("factory1", "ReadWrite", null, List.of("app/*"),
          List.of(), null, null, null, null));

      String generated = registries.settings("factory1", new Requests.Settings("https", null, 1))
          .get("ACR_REGISTRY_CONNECTION_STRING").toString();
      ConnectionString parsed = ConnectionString.parse("test", generated);
      assertEquals("factory1", parsed.registryName());
      assertEquals("factory1-sync-token", parsed.tokenName());
      assertEquals("root.example.com:8443", parsed.parentEndpoint());
      assertEquals("https", parsed.parentProtocol());
      assertTrue(generated.contains(";SyncTokenPassword=" + parsed.tokenPassword() + ";"));
      RegistryConfig.ParentConfig parent = parsed.toParent(null);
      assertEquals("root.example.com:8443", parent.endpoint());
      assertEquals("factory1-sync-token", parent.username());

      String withoutPassword = registries.settings("factory1",
          new Requests.Settings("http", "10.0.0.5:5000", null))
          .get("ACR_REGISTRY_CONNECTION_STRING").toString();
      ConfigException e = assertThrows(ConfigException.class,
          () -> ConnectionString.parse("test", withoutPassword));
      assertTrue(e.getMessage().contains("SyncTokenPassword is missing"), e.getMessage());
    }
  }
}
