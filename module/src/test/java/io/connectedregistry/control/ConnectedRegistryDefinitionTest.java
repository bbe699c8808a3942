package io.connectedregistry.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistryDefinition.GarbageCollection;
import io.connectedregistry.control.ConnectedRegistryDefinition.Sync;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ConnectedRegistryDefinitionTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

  private static ConnectedRegistryDefinition named(String name) {
    return ConnectedRegistryDefinition.create(name, null, null,
        List.of(RepositoryPattern.of("app/*")), List.of(), null, null, null, NOW);
  }

  @Test
  void aNewDefinitionHasAcrsDefaults() {
    ConnectedRegistryDefinition d = named("factory1");
    assertEquals(Mode.ReadOnly, d.mode());
    assertNull(d.parent());
    assertEquals("* * * * *", d.sync().schedule());
    assertNull(d.sync().window());
    assertEquals(Duration.ofDays(2), d.sync().messageTtl());
    assertEquals(LogLevel.Information, d.logLevel());
    assertEquals(new GarbageCollection(true, "0 0 * * *"), d.garbageCollection());
    assertEquals(Activation.Inactive, d.reported().activation());
    assertEquals(ConnectionState.Offline, d.reported().connectionState());
    assertNull(d.reported().loginServer());
    assertEquals("factory1-sync-token", d.syncTokenName());
    assertEquals("factory1-sync-scope-map", d.syncScopeMapName());
    assertEquals(1, d.generation());
  }

  @ParameterizedTest
  @ValueSource(strings = {"abcde", "a1234", "line3", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"})
  void namesOf5To50LowercaseLettersAndDigitsStartingWithALetterAreAccepted(String name) {
    assertEquals(name, named(name).name());
  }

  @ParameterizedTest
  @ValueSource(strings = {"abcd", "1line", "Line3", "line-3", "line_3", "",
      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijk"})
  void otherNamesAreRefusedNamingTheValue(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> named(name));
    assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
  }

  @Test
  void syncSettingsAreCheckedLikeTheConfigurationKeys() {
    IllegalArgumentException cron = assertThrows(IllegalArgumentException.class,
        () -> new Sync("every minute", null, Duration.ofDays(2)));
    assertTrue(cron.getMessage().contains("'every minute'"), cron.getMessage());
    IllegalArgumentException shortWindow = assertThrows(IllegalArgumentException.class,
        () -> new Sync("0 * * * *", Duration.ofMinutes(30), Duration.ofDays(2)));
    assertTrue(shortWindow.getMessage().contains("PT30M"), shortWindow.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new Sync("0 * * * *", Duration.ofDays(8), Duration.ofDays(2)));
    assertEquals(Duration.ofHours(1), new Sync("0 * * * *", Duration.ofHours(1), Duration.ofDays(2)).window());
    assertEquals(Duration.ofDays(7), new Sync("0 * * * *", Duration.ofDays(7), Duration.ofDays(2)).window());
    assertThrows(IllegalArgumentException.class, () -> new GarbageCollection(true, "61 * * * *"));
  }

  @Test
  void repositoriesAreValidatedAndNeverGatewayNames() {
    assertThrows(IllegalArgumentException.class, () -> RepositoryPattern.of("App/*"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConnectedRegistryDefinition.create("factory1", null, null,
            List.of(RepositoryPattern.of("gateway/x")), List.of(), null, null, null, NOW));
    assertTrue(e.getMessage().contains("gateway/x"), e.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> ConnectedRegistryDefinition.create("factory1", null, null,
            List.of(RepositoryPattern.of("a/b"), RepositoryPattern.of("a/b")), List.of(), null,
            null, null, NOW));
    assertTrue(twice.getMessage().contains("a/b"), twice.getMessage());
  }

  @Test
  void aRegistryCannotBeItsOwnParent() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConnectedRegistryDefinition.create("factory1", null, "factory1",
            List.of(RepositoryPattern.of("a")), List.of(), null, null, null, NOW));
    assertTrue(e.getMessage().contains("factory1"), e.getMessage());
  }
}
