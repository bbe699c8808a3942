package io.connectedregistry.control;

import static io.connectedregistry.auth.Action.CONTENT_DELETE;
import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static io.connectedregistry.auth.Action.METADATA_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.Authenticator;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.TokenStatus;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.control.ControlException.Kind;
import io.connectedregistry.status.Activation;
import io.connectedregistry.status.ConnectionState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ConnectedRegistriesTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Set<Action> READ = Set.of(CONTENT_READ, METADATA_READ);
  private static final Set<Action> WRITE =
      Set.of(CONTENT_READ, METADATA_READ, CONTENT_WRITE, CONTENT_DELETE, METADATA_WRITE);

  @TempDir Path data;
  private final PasswordHasher hasher = new PasswordHasher(1_000);
  private AuthStore store;
  private String loginServer;

  private ConnectedRegistries root(Limits limits) {
    store = AuthStore.open(data, Mode.ReadWrite, limits, hasher, CLOCK);
    return new ConnectedRegistries(store, new ConnectedRegistries.Site(null, () -> loginServer),
        CLOCK);
  }

  private ConnectedRegistries root() {
    return root(Limits.DEFAULTS);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private static Requests.Create create(String name, String mode, String parent,
      List<String> repositories, List<String> clientTokens) {
    return new Requests.Create(name, mode, parent, repositories, clientTokens, null, null, null,
        null);
  }

  /** root → factory1 (ReadWrite: app/*, base) → line3 (ReadOnly: app/web, other/x). */
  private ConnectedRegistries tree() {
    ConnectedRegistries r = root();
    r.create(create("factory1", "ReadWrite", null, List.of("app/*", "base"), List.of()));
    r.create(create("line3", null, "factory1", List.of("app/web", "other/x"), List.of()));
    return r;
  }

  private ScopeMap map(String name) {
    return store.scopeMap(name).orElseThrow();
  }

  private static List<String> patterns(ScopeMap map) {
    return map.rules().stream().map(r -> r.pattern().value()).toList();
  }

  private static void assertMessage(Throwable e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
    }
  }

  private static ControlException refused(Kind kind, Executable call) {
    ControlException e = assertThrows(ControlException.class, call);
    assertEquals(kind, e.kind(), e.getMessage());
    return e;
  }

  private void token(String name, ScopeMapRule... rules) {
    store.createScopeMap(new ScopeMap(name + "-map", "", List.of(rules)));
    store.createToken(name, name + "-map", TokenStatus.ENABLED);
  }

  // ---- create ----

  @Test
  void createMakesTheDefinitionItsSyncTokenAndItsScopeMapWithTheModesActions() {
    ConnectedRegistries r = root();
    long before = store.dataVersion();
    Map<String, Object> shown = r.create(create("factory1", "ReadWrite", null,
        List.of("app/*", "base"), List.of()));

    assertEquals("factory1", shown.get("name"));
    assertEquals("ReadWrite", shown.get("mode"));
    assertEquals(List.of("app/*", "base"), shown.get("repositories"));
    assertEquals("Inactive", shown.get("activation"));
    assertEquals("Offline", shown.get("connectionState"));
    assertEquals(r.show("factory1"), shown);
    assertTrue(store.dataVersion() > before, "the server notices through data_version");

    ScopeMap map = map("factory1-sync-scope-map");
    assertEquals(List.of("app/*", "base", "gateway/factory1"), patterns(map));
    assertEquals(WRITE, map.rules().get(0).actions());
    assertEquals(WRITE, map.rules().get(1).actions());
    assertEquals(Action.gatewayActions(), map.rules().get(2).actions());
    var token = store.token("factory1-sync-token").orElseThrow();
    assertEquals("factory1-sync-scope-map", token.scopeMapName());
    assertTrue(token.enabled());
    assertTrue(token.passwords().isEmpty(), "a password only comes with get-settings");
  }

  @Test
  void aChildAddsItsRepositoriesAndAGatewayGrantToEveryAncestor() {
    ConnectedRegistries r = tree();
    r.create(create("cell7", null, "line3", List.of("deep/one"), List.of()));

    ScopeMap line3 = map("line3-sync-scope-map");
    assertEquals(List.of("app/web", "other/x", "deep/one", "gateway/line3", "gateway/cell7"),
        patterns(line3));
    assertEquals(READ, line3.rules().get(0).actions(), "ReadOnly: reads only");
    ScopeMap factory1 = map("factory1-sync-scope-map");
    // app/web is covered by app/*; other/x and deep/one were added with ReadWrite's actions.
    assertEquals(List.of("app/*", "base", "other/x", "deep/one", "gateway/factory1",
        "gateway/line3", "gateway/cell7"), patterns(factory1));
    assertEquals(WRITE, factory1.allowed("deep/one"));
    assertEquals(List.of("app/*", "base", "other/x", "deep/one"),
        r.show("factory1").get("repositories"));
    assertTrue(factory1.allowsGateway("cell7", Action.CONFIG_READ));
    assertFalse(map("cell7-sync-scope-map").allowsGateway("line3", Action.CONFIG_READ),
        "a child's token has no power over its parent");
  }

  // ---- rules ----

  @Test
  void aReadOnlyParentAcceptsOnlyReadOnlyChildren() {
    ConnectedRegistries r = tree();
    ControlException e = refused(Kind.INVALID,
        () -> r.create(create("line4", "ReadWrite", "line3", List.of("app/web"), List.of())));
    assertMessage(e, "'line4'", "'line3'", "ReadOnly", "ReadWrite");
    assertTrue(store.token("line4-sync-token").isEmpty(), "nothing was created");
    assertTrue(store.scopeMap("line4-sync-scope-map").isEmpty());
  }

  @Test
  void aReadOnlyRootAcceptsOnlyReadOnlyChildren() {
    store = AuthStore.open(data, Mode.ReadOnly, Limits.DEFAULTS, hasher, CLOCK);
    ConnectedRegistries r = new ConnectedRegistries(store,
        new ConnectedRegistries.Site(null, () -> null), CLOCK);
    ControlException e = refused(Kind.INVALID,
        () -> r.create(create("factory1", "ReadWrite", null, List.of("a"), List.of())));
    assertMessage(e, "'factory1'", "root", "ReadOnly");
    r.create(create("factory1", "ReadOnly", null, List.of("a"), List.of()));
  }

  @Test
  void clientTokensOfAReadOnlyRegistryHoldReadActionsOnly() {
    ConnectedRegistries r = tree();
    token("pusher1", ScopeMapRule.of("app/*", CONTENT_READ, CONTENT_WRITE));
    token("reader1", ScopeMapRule.of("app/*", CONTENT_READ, METADATA_READ));

    ControlException atCreate = refused(Kind.INVALID,
        () -> r.create(create("line4", null, "factory1", List.of("app/web"), List.of("pusher1"))));
    assertMessage(atCreate, "'pusher1'", "'line4'", "content/write", "app/*", "pusher1-map");
    ControlException atUpdate = refused(Kind.INVALID, () -> r.update("line3",
        new Requests.Update(List.of("pusher1"), null, null, null, null, null, null, null)));
    assertMessage(atUpdate, "'pusher1'", "'line3'", "content/write");

    r.update("line3", new Requests.Update(List.of("reader1"), null, null, null, null, null, null,
        null));
    r.update("factory1", new Requests.Update(List.of("pusher1"), null, null, null, null, null,
        null, null));
    assertEquals(List.of("reader1"), r.show("line3").get("clientTokens"));
    assertEquals(List.of("pusher1"), r.show("factory1").get("clientTokens"));
  }

  @Test
  void aConnectedRegistryHoldsAtMostTwentyClientTokens() {
    ConnectedRegistries r = tree();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      names.add("client" + i);
      token("client" + i, ScopeMapRule.of("app/*", CONTENT_READ));
    }
    ControlException e = refused(Kind.LIMIT_EXCEEDED,
        () -> r.create(create("line4", null, "factory1", List.of("app/web"), names)));
    assertMessage(e, "'line4'", "21", "20");
    r.create(create("line4", null, "factory1", List.of("app/web"), names.subList(0, 20)));
    ControlException update = refused(Kind.LIMIT_EXCEEDED, () -> r.update("line4",
        new Requests.Update(List.of("client20"), null, null, null, null, null, null, null)));
    assertMessage(update, "'line4'", "21", "20");
  }

  @Test
  void theScopeMapLimitsOfTheAccessControlWorkApplyAndARefusalChangesNothing() {
    // 3 rules per map: factory1 has app/a and gateway/factory1; line3 would add other/b and
    // gateway/line3 to it.
    ConnectedRegistries r = root(new Limits(100, 100, 3));
    r.create(create("factory1", "ReadWrite", null, List.of("app/a"), List.of()));
    long version = store.dataVersion();
    ControlException e = refused(Kind.LIMIT_EXCEEDED,
        () -> r.create(create("line3", null, "factory1", List.of("other/b"), List.of())));
    assertMessage(e, "'factory1'", "factory1-sync-scope-map", "3");
    assertEquals(version, store.dataVersion(), "one transaction, rolled back whole");
    assertTrue(store.token("line3-sync-token").isEmpty());
    assertTrue(store.scopeMap("line3-sync-scope-map").isEmpty());
    assertEquals(List.of("app/a", "gateway/factory1"), patterns(map("factory1-sync-scope-map")));
    assertEquals(List.of("app/a"), r.show("factory1").get("repositories"));
    refused(Kind.NOT_FOUND, () -> r.show("line3"));
  }

  @Test
  void namesAreUniqueInTheTreeAndParentsAndClientTokensMustExist() {
    ConnectedRegistries r = tree();
    assertMessage(refused(Kind.CONFLICT,
        () -> r.create(create("line3", null, null, List.of("a"), List.of()))),
        "'line3'", "already exists", "'factory1'");
    assertMessage(refused(Kind.NOT_FOUND,
        () -> r.create(create("line4", null, "factory9", List.of("a"), List.of()))),
        "'factory9'", "'line4'");
    assertMessage(refused(Kind.NOT_FOUND,
        () -> r.create(create("line4", null, "factory1", List.of("a"), List.of("nobody1")))),
        "'nobody1'", "'line4'");
    assertMessage(refused(Kind.INVALID, () -> r.create(
        create("line4", null, "factory1", List.of("a"), List.of("factory1-sync-token")))),
        "factory1-sync-token", "'factory1'", "'line4'");
  }

  @Test
  void anAdminTokenOfTheRootIsNeverAClientToken() {
    store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, hasher, CLOCK);
    ConnectedRegistries r = new ConnectedRegistries(store,
        new ConnectedRegistries.Site(null, () -> null, () -> List.of("rootadmin")), CLOCK);
    token("rootadmin", ScopeMapRule.of("*", CONTENT_READ));
    ControlException e = refused(Kind.INVALID,
        () -> r.create(create("factory1", null, null, List.of("a"), List.of("rootadmin"))));
    assertMessage(e, "'rootadmin'", "auth.adminTokens", "'factory1'");
  }

  @Test
  void theSubtreeListsTheRegistryAndItsDescendantsParentsFirst() {
    ConnectedRegistries r = tree();
    r.create(create("cell7", null, "line3", List.of("app/web"), List.of()));
    r.create(create("factory2", null, null, List.of("x"), List.of()));
    assertEquals(List.of("factory1", "line3", "cell7"),
        r.subtree("factory1").stream().map(ConnectedRegistryDefinition::name).toList());
    assertEquals(List.of("cell7"),
        r.subtree("cell7").stream().map(ConnectedRegistryDefinition::name).toList());
  }

  @Test
  void aParentCannotBeDeletedWhileItHasChildren() {
    ConnectedRegistries r = tree();
    r.create(create("line4", null, "factory1", List.of("app/web"), List.of()));
    ControlException e = refused(Kind.CONFLICT, () -> r.delete("factory1", true));
    assertMessage(e, "'factory1'", "line3", "line4");
    assertEquals("factory1", r.show("factory1").get("name"));
  }

  @Test
  void definitionsExistOnlyAtTheRoot() {
    store = AuthStore.open(data, Mode.ReadOnly, Limits.DEFAULTS, hasher, CLOCK);
    ConnectedRegistries connected = new ConnectedRegistries(store,
        new ConnectedRegistries.Site("https://root.example.com:443", () -> null), CLOCK);
    ControlException e = refused(Kind.CONFLICT,
        () -> connected.create(create("line3", null, null, List.of("a"), List.of())));
    assertMessage(e, "https://root.example.com:443", "root");
    refused(Kind.CONFLICT, () -> connected.list(null, false));
  }

  @Test
  void leftoversOfADeleteWithoutCleanupBlockARecreationByName() {
    ConnectedRegistries r = tree();
    r.delete("line3", false);
    ControlException e = refused(Kind.CONFLICT,
        () -> r.create(create("line3", null, "factory1", List.of("app/web"), List.of())));
    assertMessage(e, "line3-sync-token", "'line3'");
  }

  @Test
  void tokensUsedByAConnectedRegistryCannotBeDeletedBehindItsBack() {
    ConnectedRegistries r = tree();
    token("reader1", ScopeMapRule.of("app/*", CONTENT_READ));
    r.update("line3", new Requests.Update(List.of("reader1"), null, null, null, null, null, null,
        null));
    AuthStoreException sync = assertThrows(AuthStoreException.class,
        () -> store.deleteToken("line3-sync-token"));
    assertMessage(sync, "line3-sync-token", "'line3'");
    AuthStoreException client = assertThrows(AuthStoreException.class,
        () -> store.deleteToken("reader1"));
    assertMessage(client, "'reader1'", "line3");
  }

  // ---- repositories ----

  @Test
  void addingARepositoryAddsItToEveryAncestorAndRemovingOneRemovesItFromEveryDescendant() {
    ConnectedRegistries r = tree();
    r.create(create("cell7", null, "line3", List.of("app/web"), List.of()));

    r.updateRepositories("cell7", new Requests.RepositoryChange(List.of("new/one"), null));
    assertEquals(List.of("app/web", "new/one"), r.show("cell7").get("repositories"));
    assertEquals(List.of("app/web", "other/x", "new/one"), r.show("line3").get("repositories"));
    assertEquals(List.of("app/*", "base", "other/x", "new/one"),
        r.show("factory1").get("repositories"));
    assertEquals(READ, map("line3-sync-scope-map").allowed("new/one"));
    assertEquals(WRITE, map("factory1-sync-scope-map").allowed("new/one"));

    // app/* covers app/web: removing it from factory1 removes app/web below.
    Map<String, Object> result = r.updateRepositories("factory1",
        new Requests.RepositoryChange(null, List.of("app/*")));
    assertEquals(Set.of("factory1", "line3", "cell7"), ((Map<?, ?>) result.get("changed")).keySet());
    assertEquals(List.of("base", "other/x", "new/one"), r.show("factory1").get("repositories"));
    assertEquals(List.of("other/x", "new/one"), r.show("line3").get("repositories"));
    assertEquals(List.of("new/one"), r.show("cell7").get("repositories"));
    assertEquals(Set.of(), map("line3-sync-scope-map").allowed("app/web"));
    assertEquals(Set.of(), map("factory1-sync-scope-map").allowed("app/x"));
    assertTrue(map("factory1-sync-scope-map").allowsGateway("cell7", Action.CONFIG_READ),
        "gateway grants are not repositories");

    ControlException e = refused(Kind.NOT_FOUND, () -> r.updateRepositories("line3",
        new Requests.RepositoryChange(null, List.of("base"))));
    assertMessage(e, "'base'", "'line3'", "other/x");
  }

  @Test
  void permissionsShowTheSyncScopeMapAndPermissionsUpdateIsRepoUpdate() {
    ConnectedRegistries r = tree();
    Map<String, Object> shown = r.permissions("line3");
    assertEquals(List.of("app/web", "other/x"), shown.get("repositories"));
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) shown.get("syncScopeMap");
    assertEquals("line3-sync-scope-map", map.get("name"));
    assertEquals(3, ((List<?>) map.get("rules")).size());
  }

  // ---- delete, deactivate, update ----

  @Test
  void deleteWithCleanupRemovesTheSyncTokenItsScopeMapAndTheGrantsInAncestors() {
    ConnectedRegistries r = tree();
    Map<String, Object> out = r.delete("line3", true);
    assertEquals("line3", out.get("deleted"));
    assertTrue(store.token("line3-sync-token").isEmpty());
    assertTrue(store.scopeMap("line3-sync-scope-map").isEmpty());
    assertEquals(List.of("app/*", "base", "other/x", "gateway/factory1"),
        patterns(map("factory1-sync-scope-map")));
    refused(Kind.NOT_FOUND, () -> r.show("line3"));
    assertEquals(List.of("factory1"), r.list(null, false).stream().map(m -> m.get("name")).toList());
  }

  @Test
  void deleteWithoutCleanupSaysWhatStays() {
    ConnectedRegistries r = tree();
    Map<String, Object> out = r.delete("line3", false);
    @SuppressWarnings("unchecked")
    Map<String, Object> kept = (Map<String, Object>) out.get("kept");
    assertEquals("line3-sync-token", kept.get("syncToken"));
    assertEquals("line3-sync-scope-map", kept.get("syncScopeMap"));
    assertEquals(List.of(Map.of("scopeMap", "factory1-sync-scope-map", "rule", "gateway/line3")),
        kept.get("grantsInAncestors"));
    assertTrue(out.get("note").toString().contains("line3-sync-token"));
    assertTrue(store.token("line3-sync-token").isPresent());
    assertTrue(map("factory1-sync-scope-map").allowsGateway("line3", Action.CONFIG_READ));
    refused(Kind.NOT_FOUND, () -> r.show("line3"));
    // The token is an ordinary token now: the operator can delete it.
    store.deleteToken("line3-sync-token");
  }

  @Test
  void deactivateSetsInactiveAndUpdateChangesSettingsEachANewDefinitionVersion() {
    ConnectedRegistries r = tree();
    r.report("line3", new Reported(Activation.Active, ConnectionState.Online, NOW, NOW, "1.2.3",
        List.of(), "line3.local:5000"));
    Map<String, Object> active = r.show("line3");
    assertEquals("Active", active.get("activation"));
    assertEquals("line3.local:5000", active.get("loginServer"));
    long version = (Long) active.get("definitionVersion");

    Map<String, Object> inactive = r.deactivate("line3");
    assertEquals("Inactive", inactive.get("activation"));
    assertEquals(version + 1, inactive.get("definitionVersion"));

    Map<String, Object> updated = r.update("line3", new Requests.Update(null, null, "0 2 * * *",
        "PT2H", "P3D", "Warning", false, "0 3 * * *"));
    assertEquals(Map.of("schedule", "0 2 * * *", "window", "PT2H", "messageTtl", "PT72H"),
        updated.get("sync"));
    assertEquals("Warning", updated.get("logLevel"));
    assertEquals(Map.of("enabled", false, "schedule", "0 3 * * *"),
        updated.get("garbageCollection"));
    assertEquals(version + 2, updated.get("definitionVersion"));
    assertEquals(updated, r.show("line3"), "persisted");

    assertThrows(IllegalArgumentException.class, () -> r.update("line3",
        new Requests.Update(null, null, "every day", null, null, null, null, null)));
    assertThrows(IllegalArgumentException.class, () -> r.update("line3",
        new Requests.Update(null, null, null, null, null, "Loud", null, null)));
  }

  @Test
  void everyChangeBelowARegistryMovesItsDefinitionVersionSoItsInstanceRefetchesTheSubtree() {
    ConnectedRegistries r = tree();
    List<Runnable> changes = List.of(
        () -> r.create(create("cell7", null, "line3", List.of("app/web"), List.of())),
        () -> r.update("cell7", new Requests.Update(null, null, null, null, null, "Debug", null,
            null)),
        () -> r.deactivate("cell7"),
        () -> r.updateRepositories("cell7", new Requests.RepositoryChange(List.of("app/api"), null)),
        () -> r.delete("cell7", true));
    for (Runnable change : changes) {
      long factory1 = (Long) r.show("factory1").get("definitionVersion");
      long line3 = (Long) r.show("line3").get("definitionVersion");
      change.run();
      assertTrue((Long) r.show("factory1").get("definitionVersion") > factory1);
      assertTrue((Long) r.show("line3").get("definitionVersion") > line3);
    }
    long before = (Long) r.show("line3").get("definitionVersion");
    r.report("line3", new Reported(Activation.Active, ConnectionState.Syncing, NOW, null, "1.0",
        List.of(new ConnectedRegistryDefinition.StatusDetail("upstream", "TTL_EXPIRED",
            "an entry expired", NOW, "abc")), null));
    Map<String, Object> shown = r.show("line3");
    assertEquals(before, shown.get("definitionVersion"), "reports are not definition changes");
    assertEquals(List.of(Map.of("type", "upstream", "code", "TTL_EXPIRED", "description",
        "an entry expired", "timestamp", NOW.toString(), "correlationId", "abc")),
        shown.get("statusDetails"));
    assertEquals("Syncing", shown.get("connectionState"));
    assertEquals(NOW.toString(), shown.get("lastActivityTime"));
  }

  // ---- list ----

  @Test
  void listFiltersByParentAndChildren() {
    ConnectedRegistries r = tree();
    r.create(create("cell7", null, "line3", List.of("app/web"), List.of()));
    r.create(create("factory2", null, null, List.of("x"), List.of()));
    assertEquals(List.of("factory1", "line3", "cell7", "factory2"), names(r.list(null, false)));
    assertEquals(List.of("factory1", "factory2"), names(r.list(null, true)));
    assertEquals(List.of("line3", "cell7"), names(r.list("factory1", false)));
    assertEquals(List.of("line3"), names(r.list("factory1", true)));
    assertMessage(refused(Kind.NOT_FOUND, () -> r.list("nothere", false)), "'nothere'");
  }

  private static List<Object> names(List<Map<String, Object>> rows) {
    return rows.stream().map(m -> m.get("name")).toList();
  }

  // ---- get-settings ----

  @Test
  void settingsShowAPasswordOnlyWhenGeneratedAndItLogsIn() {
    ConnectedRegistries r = tree();
    loginServer = "root.example.com:8443";
    Map<String, Object> plain = r.settings("factory1", new Requests.Settings("https", null, null));
    assertEquals("ConnectedRegistryName=factory1;SyncTokenName=factory1-sync-token;"
        + "ParentGatewayEndpoint=root.example.com:8443;ParentEndpointProtocol=https",
        plain.get("ACR_REGISTRY_CONNECTION_STRING"));
    assertTrue(plain.get("note").toString().contains("--generate-password"));
    assertTrue(store.token("factory1-sync-token").orElseThrow().passwords().isEmpty());

    Map<String, Object> generated = r.settings("factory1",
        new Requests.Settings("http", "10.0.0.5:5000", 2));
    String s = generated.get("ACR_REGISTRY_CONNECTION_STRING").toString();
    assertFalse(generated.containsKey("note"));
    String password = s.replaceAll(".*;SyncTokenPassword=([^;]+);.*", "$1");
    assertTrue(s.endsWith(";ParentGatewayEndpoint=10.0.0.5:5000;ParentEndpointProtocol=http"), s);
    var login = new Authenticator(store, hasher).authenticate("factory1-sync-token", password, NOW);
    assertTrue(login instanceof Authenticator.Authenticated, login.toString());
  }

  @Test
  void theEndpointDefaultsToTheParentsLoginServerAndIsRefusedWithoutOne() {
    ConnectedRegistries r = tree();
    ControlException noRoot = refused(Kind.INVALID,
        () -> r.settings("factory1", new Requests.Settings("https", null, null)));
    assertMessage(noRoot, "'factory1'", "--parent-endpoint", "loginServer");
    ControlException noParent = refused(Kind.INVALID,
        () -> r.settings("line3", new Requests.Settings("https", null, null)));
    assertMessage(noParent, "'line3'", "'factory1'", "--parent-endpoint");

    r.report("factory1", new Reported(Activation.Active, ConnectionState.Online, NOW, NOW,
        "1.0", List.of(), "factory1.local:5000"));
    assertTrue(r.settings("line3", new Requests.Settings("http", null, null))
        .get("ACR_REGISTRY_CONNECTION_STRING").toString()
        .contains(";ParentGatewayEndpoint=factory1.local:5000;"));

    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> r.settings("line3", new Requests.Settings("http", "http://x:5000", null)));
    assertMessage(bad, "http://x:5000");
    assertThrows(IllegalArgumentException.class,
        () -> r.settings("line3", new Requests.Settings("ftp", "x:5000", null)));
    assertThrows(IllegalArgumentException.class,
        () -> r.settings("line3", new Requests.Settings("http", "0.0.0.0:5000", null)));
    assertNull(store.token("line3-sync-token").orElseThrow().passwords().stream().findFirst()
        .orElse(null));
  }
}
