package io.connectedregistry.auth;

import static io.connectedregistry.auth.Action.CONTENT_READ;
import static io.connectedregistry.auth.Action.CONTENT_WRITE;
import static io.connectedregistry.auth.Action.METADATA_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.auth.AuthStoreException.Kind;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthStoreTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final Limits SMALL = new Limits(2, 2, 3);

  @TempDir Path data;
  private final PasswordHasher hasher = new PasswordHasher(1_000);
  private AuthStore store;

  private AuthStore open(Mode mode, Limits limits) {
    return AuthStore.open(data, mode, limits, hasher, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private static ScopeMap readAll(String name) {
    return new ScopeMap(name, "pull everything", List.of(ScopeMapRule.of("*", CONTENT_READ,
        METADATA_READ)));
  }

  @Test
  void scopeMapsAndTokensRoundTripThroughTheDatabase() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    ScopeMap map = new ScopeMap("builder", "CI pushes", List.of(
        ScopeMapRule.of("app/*", CONTENT_READ, CONTENT_WRITE), ScopeMapRule.of("*", METADATA_READ)));
    store.createScopeMap(map);
    store.createToken("ci-runner", "builder", TokenStatus.ENABLED);
    store.close();

    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    assertEquals(Optional.of(map), store.scopeMap("builder"));
    assertEquals(List.of(map), store.scopeMaps());
    Token token = store.token("ci-runner").orElseThrow();
    assertEquals("builder", token.scopeMapName());
    assertEquals(TokenStatus.ENABLED, token.status());
    assertEquals(NOW, token.created());
    assertTrue(token.passwords().isEmpty());
    assertEquals(List.of(token), store.tokens());
  }

  @Test
  void updatingAScopeMapReplacesItsRules() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    ScopeMap narrower = new ScopeMap("readers", "app only",
        List.of(ScopeMapRule.of("app/*", CONTENT_READ)));
    store.updateScopeMap(narrower);
    assertEquals(Optional.of(narrower), store.scopeMap("readers"));
  }

  @Test
  void tokensCanBeDisabledEnabledMovedAndDeleted() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    store.createScopeMap(readAll("others"));
    store.createToken("puller", "readers", TokenStatus.ENABLED);
    assertEquals(TokenStatus.DISABLED, store.disable("puller").status());
    assertEquals(TokenStatus.ENABLED, store.enable("puller").status());
    assertEquals("others", store.setScopeMap("puller", "others").scopeMapName());
    store.deleteToken("puller");
    assertTrue(store.token("puller").isEmpty());
    AuthStoreException e =
        assertThrows(AuthStoreException.class, () -> store.deleteToken("puller"));
    assertEquals(Kind.NOT_FOUND, e.kind());
  }

  @Test
  void aTokenNeedsAnExistingScopeMapAndAUniqueName() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    assertEquals(Kind.NOT_FOUND, assertThrows(AuthStoreException.class,
        () -> store.createToken("puller", "missing", TokenStatus.ENABLED)).kind());
    store.createScopeMap(readAll("readers"));
    store.createToken("puller", "readers", TokenStatus.ENABLED);
    assertEquals(Kind.ALREADY_EXISTS, assertThrows(AuthStoreException.class,
        () -> store.createToken("puller", "readers", TokenStatus.ENABLED)).kind());
    assertEquals(Kind.ALREADY_EXISTS, assertThrows(AuthStoreException.class,
        () -> store.createScopeMap(readAll("readers"))).kind());
  }

  @Test
  void limitsOnTokensScopeMapsAndRulesAreEnforcedWithClearMessages() {
    store = open(Mode.ReadWrite, SMALL);
    store.createScopeMap(readAll("maps-1"));
    store.createScopeMap(readAll("maps-2"));
    AuthStoreException maps =
        assertThrows(AuthStoreException.class, () -> store.createScopeMap(readAll("maps-3")));
    assertEquals(Kind.LIMIT_EXCEEDED, maps.kind());
    assertTrue(maps.getMessage().contains("2 scope maps"), maps.getMessage());

    store.createToken("token-1", "maps-1", TokenStatus.ENABLED);
    store.createToken("token-2", "maps-1", TokenStatus.ENABLED);
    AuthStoreException tokens = assertThrows(AuthStoreException.class,
        () -> store.createToken("token-3", "maps-1", TokenStatus.ENABLED));
    assertEquals(Kind.LIMIT_EXCEEDED, tokens.kind());
    assertTrue(tokens.getMessage().contains("2 tokens"), tokens.getMessage());

    ScopeMap tooManyRules = new ScopeMap("maps-1", "", List.of(ScopeMapRule.of("a", CONTENT_READ),
        ScopeMapRule.of("b", CONTENT_READ), ScopeMapRule.of("c", CONTENT_READ),
        ScopeMapRule.of("d", CONTENT_READ)));
    AuthStoreException rules =
        assertThrows(AuthStoreException.class, () -> store.updateScopeMap(tooManyRules));
    assertEquals(Kind.LIMIT_EXCEEDED, rules.kind());
    assertTrue(rules.getMessage().contains("maximum is 3"), rules.getMessage());
  }

  @Test
  void aConnectedRegistryHoldsAtMostTwentyClientTokens() {
    io.connectedregistry.config.RegistryConfig.AuthConfig defaults =
        io.connectedregistry.config.ConfigLoader.defaults().auth();
    Limits connected = Limits.of(defaults, true);
    assertEquals(Limits.MAX_CLIENT_TOKENS, connected.maxTokens());
    assertEquals(20_000, Limits.of(defaults, false).maxTokens(), "a root keeps ACR's registry limit");
    store = open(Mode.ReadOnly, connected);
    store.createScopeMap(readAll("readers"));
    for (int i = 1; i <= Limits.MAX_CLIENT_TOKENS; i++) {
      store.createToken("client-" + i, "readers", TokenStatus.ENABLED);
    }
    AuthStoreException refused = assertThrows(AuthStoreException.class,
        () -> store.createToken("client-21", "readers", TokenStatus.ENABLED));
    assertEquals(Kind.LIMIT_EXCEEDED, refused.kind());
    assertTrue(refused.getMessage().contains("connected registry already has 20 client tokens"),
        refused.getMessage());
  }

  @Test
  void limitsCanOnlyBeLowered() {
    assertThrows(IllegalArgumentException.class, () -> new Limits(20_001, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Limits(1, 1, 501));
    assertThrows(IllegalArgumentException.class, () -> new Limits(0, 1, 1));
  }

  @Test
  void aReadOnlyRegistryRefusesScopeMapsGrantingWriteWhenTheyAreDefined() {
    store = open(Mode.ReadOnly, Limits.DEFAULTS);
    ScopeMap pusher = new ScopeMap("pusher", "", List.of(ScopeMapRule.of("app/*", CONTENT_WRITE)));
    AuthStoreException e =
        assertThrows(AuthStoreException.class, () -> store.createScopeMap(pusher));
    assertEquals(Kind.NOT_ALLOWED_IN_MODE, e.kind());
    assertTrue(e.getMessage().contains("read actions only"), e.getMessage());
    assertTrue(store.scopeMaps().isEmpty());

    store.createScopeMap(readAll("readers"));
    assertEquals(Kind.NOT_ALLOWED_IN_MODE, assertThrows(AuthStoreException.class,
        () -> store.updateScopeMap(new ScopeMap("readers", "", pusher.rules()))).kind());
    assertEquals(Optional.of(readAll("readers")), store.scopeMap("readers"));
  }

  @Test
  void aScopeMapInUseCannotBeDeletedAndTheMessageNamesTheTokens() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    store.createToken("puller-b", "readers", TokenStatus.ENABLED);
    store.createToken("puller-a", "readers", TokenStatus.DISABLED);
    AuthStoreException e =
        assertThrows(AuthStoreException.class, () -> store.deleteScopeMap("readers"));
    assertEquals(Kind.IN_USE, e.kind());
    assertTrue(e.getMessage().contains("puller-a, puller-b"), e.getMessage());

    store.deleteToken("puller-a");
    store.deleteToken("puller-b");
    store.deleteScopeMap("readers");
    assertTrue(store.scopeMap("readers").isEmpty());
  }

  @Test
  void generatedPasswordsAreReturnedOnceAndOnlyTheirHashIsStored() throws Exception {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    store.createToken("puller", "readers", TokenStatus.ENABLED);
    GeneratedPassword one = store.generatePassword("puller", PasswordSlot.PASSWORD1,
        Optional.empty());
    GeneratedPassword two = store.generatePassword("puller", PasswordSlot.PASSWORD2,
        Optional.of(NOW.plusSeconds(60)));
    assertFalse(one.toString().contains(one.password()));

    Token token = store.token("puller").orElseThrow();
    assertTrue(hasher.verify(one.password(), token.password(PasswordSlot.PASSWORD1)
        .orElseThrow().hash()));
    assertEquals(Optional.of(NOW.plusSeconds(60)),
        token.password(PasswordSlot.PASSWORD2).orElseThrow().expires());
    store.close();
    store = null;

    // Every file SQLite wrote (db, WAL, shared memory), as bytes.
    try (Stream<Path> files = Files.list(data)) {
      for (Path f : files.toList()) {
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains(one.password()), f + " holds password 1");
        assertFalse(bytes.contains(two.password()), f + " holds password 2");
      }
    }
  }

  @Test
  void regeneratingAPasswordReplacesTheOldOneAndDeletingRemovesIt() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    store.createToken("puller", "readers", TokenStatus.ENABLED);
    GeneratedPassword first =
        store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty());
    GeneratedPassword second =
        store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty());
    assertNotEquals(first.password(), second.password());
    Token token = store.token("puller").orElseThrow();
    assertEquals(1, token.passwords().size());
    assertFalse(hasher.verify(first.password(), token.passwords().get(0).hash()));

    store.deletePassword("puller", PasswordSlot.PASSWORD1);
    assertTrue(store.token("puller").orElseThrow().passwords().isEmpty());
  }

  @Test
  void theDataVersionMovesWhenAnotherConnectionWrites() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    long before = store.dataVersion();
    try (AuthStore cli = open(Mode.ReadWrite, Limits.DEFAULTS)) {
      cli.createScopeMap(readAll("readers"));
    }
    long after = store.dataVersion();
    assertNotEquals(before, after);
    assertTrue(store.scopeMap("readers").isPresent());

    store.createToken("puller", "readers", TokenStatus.ENABLED);
    assertNotEquals(after, store.dataVersion());
  }

  @Test
  void aRefusedWriteDoesNotMoveTheDataVersion() {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    long before = store.dataVersion();
    assertThrows(AuthStoreException.class,
        () -> store.createToken("puller", "missing", TokenStatus.ENABLED));
    assertEquals(before, store.dataVersion());
  }

  @Test
  void readsAnswerWhileTheStoresOwnWriteWaitsForTheCliToReleaseTheWriteLock() throws Exception {
    store = open(Mode.ReadWrite, Limits.DEFAULTS);
    store.createScopeMap(readAll("readers"));
    long before = store.dataVersion();
    try (Connection cli = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(AuthStore.FILE_NAME));
        Statement s = cli.createStatement()) {
      s.execute("BEGIN IMMEDIATE"); // the token CLI in the middle of a change
      CompletableFuture<Token> waiting =
          CompletableFuture.supplyAsync(() -> store.createToken("puller", "readers", TokenStatus.ENABLED));
      assertThrows(TimeoutException.class, () -> waiting.get(300, TimeUnit.MILLISECONDS),
          "the write waits for the other process's lock");

      // The once-a-second poll and logins must not queue behind that write (up to the busy timeout).
      CompletableFuture<Long> version = CompletableFuture.supplyAsync(store::dataVersion);
      assertEquals(before, version.get(10, TimeUnit.SECONDS));
      assertTrue(CompletableFuture.supplyAsync(() -> store.scopeMap("readers")).get(10, TimeUnit.SECONDS).isPresent());

      s.execute("COMMIT");
      assertEquals("puller", waiting.get(20, TimeUnit.SECONDS).name());
    }
    assertNotEquals(before, store.dataVersion());
  }

  @Test
  void anAuthDatabaseNewerThanThisReleaseIsRefusedNamingTheFileAndVersions() throws Exception {
    Path file = data.resolve(AuthStore.FILE_NAME);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version=99");
    }
    AuthStoreException e = assertThrows(AuthStoreException.class, () -> open(Mode.ReadWrite, Limits.DEFAULTS));
    assertEquals(Kind.STORAGE, e.kind());
    assertTrue(e.getMessage().contains("cannot open " + file), e.getMessage());
    assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
    assertTrue(e.getMessage().contains("versions up to 3"), e.getMessage());
  }

  @Test
  void aNewAuthDatabaseIsAtSchemaVersion3() throws Exception {
    open(Mode.ReadWrite, Limits.DEFAULTS).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(AuthStore.FILE_NAME));
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      assertEquals(3, rs.getInt(1));
    }
  }
}
