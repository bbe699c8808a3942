package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONFIG_READ;
import static io.connectedregistry.auth.Action.CONFIG_WRITE;
import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.MESSAGE_READ;
import static io.connectedregistry.auth.Action.MESSAGE_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.Authenticator.Authenticated;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway actions (config/read, config/write, message/read, message/write) live only in rules on
 * {@code gateway/<registry>}, never count for a repository, and are answered by
 * {@link Principal#allowsGateway}.
 */
class GatewayRuleTest {

  private static final Set<Action> GATEWAY = Action.gatewayActions();

  @TempDir Path data;

  @Test
  void theFourGatewayActionsHaveAcrsNamesAndAreNeitherRepositoryActionsNorReads() {
    assertEquals(Set.of(CONFIG_READ, CONFIG_WRITE, MESSAGE_READ, MESSAGE_WRITE), GATEWAY);
    for (Action a : GATEWAY) {
      assertTrue(a.isGateway());
      assertFalse(a.isRead(), a.wireName());
      assertFalse(Action.repositoryActions().contains(a));
      assertEquals(a, Action.parse(a.wireName()));
    }
    assertEquals("config/read", CONFIG_READ.wireName());
    assertEquals("message/write", MESSAGE_WRITE.wireName());
    assertEquals(EnumSet.allOf(Action.class).size(), GATEWAY.size() + Action.repositoryActions().size());
  }

  @Test
  void aGatewayRuleHoldingARepositoryActionIsRefusedNamingPatternAndAction() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ScopeMapRule.of("gateway/factory1", CONFIG_READ, CONTENT_READ));
    assertTrue(e.getMessage().contains("gateway/factory1"), e.getMessage());
    assertTrue(e.getMessage().contains("content/read"), e.getMessage());
  }

  @Test
  void aRepositoryRuleHoldingAGatewayActionIsRefusedNamingPatternAndAction() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ScopeMapRule.of("app/*", CONTENT_READ, MESSAGE_WRITE));
    assertTrue(e.getMessage().contains("app/*"), e.getMessage());
    assertTrue(e.getMessage().contains("message/write"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ScopeMapRule.of("*", CONFIG_READ));
  }

  @Test
  void gatewayRulesNeverCountForRepositoriesAndRepositoryRulesNeverForGateways() {
    ScopeMap map = new ScopeMap("factory1-sync-scope-map", "", List.of(
        ScopeMapRule.of("*", CONTENT_READ, METADATA_READ),
        ScopeMapRule.gateway("factory1", GATEWAY),
        ScopeMapRule.of("gateway/line3", CONFIG_READ)));
    // A repository literally named gateway/factory1 is reached only through the wildcard rule.
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), map.allowed("gateway/factory1"));
    assertEquals(Set.of(CONTENT_READ, METADATA_READ), map.allowed("app/web"));
    assertTrue(map.allowsGateway("factory1", MESSAGE_WRITE));
    assertTrue(map.allowsGateway("line3", CONFIG_READ));
    assertFalse(map.allowsGateway("line3", CONFIG_WRITE));
    assertFalse(map.allowsGateway("other1", CONFIG_READ));
    assertFalse(map.grantsWrite(), "config/write and message/write are not repository writes");
  }

  @Test
  void aReadOnlyRegistryAcceptsASyncScopeMapWithGatewayWritesButNoRepositoryWrites() {
    try (AuthStore store = AuthStore.open(data, Mode.ReadOnly, Limits.DEFAULTS,
        new PasswordHasher(1_000), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))) {
      store.createScopeMap(new ScopeMap("line3-sync-scope-map", "", List.of(
          ScopeMapRule.of("app/*", CONTENT_READ), ScopeMapRule.gateway("line3", GATEWAY))));
      AuthStoreException e = assertThrows(AuthStoreException.class, () -> store.createScopeMap(
          new ScopeMap("pushers", "", List.of(ScopeMapRule.of("app/*", CONTENT_WRITE)))));
      assertEquals(AuthStoreException.Kind.NOT_ALLOWED_IN_MODE, e.kind());
    }
  }

  @Test
  void onlyBasicCredentialsWithAGatewayRuleAreAllowedGatewayActions() {
    try (AuthStore store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS,
        new PasswordHasher(1_000), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))) {
      ScopeMap map = store.createScopeMap(new ScopeMap("factory1-sync-scope-map", "", List.of(
          ScopeMapRule.of("app/*", CONTENT_READ), ScopeMapRule.gateway("factory1", GATEWAY))));
      Token token = store.createToken("factory1-sync-token", map.name(), TokenStatus.ENABLED);
      Authenticated login = new Authenticated(token, map, true, null);

      Principal basic = new Principal.Basic(login);
      assertTrue(basic.allowsGateway("factory1", CONFIG_WRITE), "even on a ReadOnly registry");
      assertFalse(basic.allowsGateway("line3", CONFIG_READ));
      assertFalse(basic.allowsGateway("factory1", CONTENT_READ), "not a gateway action");
      assertEquals(Set.of(CONTENT_READ), basic.allowed("app/web"), "repository answers unchanged");

      Principal bearer = new Principal.Bearer(login, Map.of("app/web", Set.of(CONTENT_READ)), false);
      assertFalse(bearer.allowsGateway("factory1", CONFIG_READ));
      assertFalse(new Principal.Anonymous(Action.repositoryActions())
          .allowsGateway("factory1", CONFIG_READ));
      assertEquals(Optional.of(map), store.scopeMap(map.name()), "round trip through auth.db");
    }
  }
}
